// The policy editor's live preview: after a pause in typing, the server checks the text as it
// would be saved and renders it, with any problem located. Without scripts, the Preview button
// does the same by reloading the page.
(function () {
  "use strict";
  var source = document.getElementById("source");
  var preview = document.getElementById("preview");
  if (!source || !preview || !source.dataset.preview) return;
  var timer = null;
  var sent = 0;
  function refresh() {
    var mine = ++sent;
    var body = new URLSearchParams();
    body.set("source", source.value);
    fetch(source.dataset.preview, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        // An answer to an older text must not replace a newer one.
        if (html !== null && mine === sent) preview.innerHTML = html;
      })
      .catch(function () { /* the Preview button still works */ });
  }
  source.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  });
})();
