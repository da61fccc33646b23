// The queue from the keyboard: j and k move through the cases, Enter opens the one marked,
// n pulls the next unassigned case. The page works without it.
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("#cases tbody tr"));
  var at = -1;
  function mark(next) {
    if (!rows.length) return;
    if (at >= 0) rows[at].removeAttribute("aria-selected");
    at = Math.max(0, Math.min(rows.length - 1, next));
    rows[at].setAttribute("aria-selected", "true");
    rows[at].querySelector("th a").focus();
  }
  document.addEventListener("keydown", function (e) {
    var tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "j") { mark(at + 1); e.preventDefault(); }
    else if (e.key === "k") { mark(at - 1); e.preventDefault(); }
    else if (e.key === "Enter" && at >= 0) { window.location.href = rows[at].dataset.href; e.preventDefault(); }
    else if (e.key === "n") {
      var pull = document.getElementById("pull-next");
      if (pull) { pull.click(); e.preventDefault(); }
    }
  });
})();
