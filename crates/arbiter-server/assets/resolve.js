// The queue from the keyboard: j and k mark the next or previous case, Enter on the marked
// case opens it, n pulls the next unassigned case. The keys act only when the focus is on no
// control (a link, button, field or list), so Enter always does what the focused element says,
// and they can be turned off (the choice is kept in this browser). The page works without it.
(function () {
  "use strict";
  var KEY = "arbiter.queue-shortcuts";
  var rows = Array.prototype.slice.call(document.querySelectorAll("#cases tbody tr"));
  var toggle = document.getElementById("shortcuts-toggle");
  var state = document.getElementById("shortcuts-state");
  var at = -1;

  function stored() {
    try { return window.localStorage.getItem(KEY); } catch (e) { return null; }
  }
  function on() { return stored() !== "off"; }
  function show() {
    if (toggle) toggle.checked = on();
    if (state) state.textContent = on() ? "on" : "off";
  }
  if (toggle) {
    var hidden = toggle.closest("[hidden]");
    if (hidden) hidden.removeAttribute("hidden");
    toggle.addEventListener("change", function () {
      try { window.localStorage.setItem(KEY, toggle.checked ? "on" : "off"); } catch (e) { /* kept for this page only */ }
      show();
    });
  }
  show();

  function mark(next) {
    if (!rows.length) return;
    if (at >= 0) rows[at].removeAttribute("aria-selected");
    at = Math.max(0, Math.min(rows.length - 1, next));
    rows[at].setAttribute("aria-selected", "true");
    // The row itself takes the focus (not its link), so the next key is still a shortcut.
    rows[at].setAttribute("tabindex", "-1");
    rows[at].focus();
  }
  // A control keeps its own keys: links, buttons, fields, lists, disclosure summaries.
  function onControl(target) {
    if (!target || !target.closest) return false;
    return target.isContentEditable ||
      !!target.closest("a[href], button, input, select, textarea, summary, [role=button], [role=link]");
  }
  document.addEventListener("keydown", function (e) {
    if (!on() || e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    if (onControl(e.target)) return;
    if (e.key === "j") { mark(at + 1); e.preventDefault(); }
    else if (e.key === "k") { mark(at - 1); e.preventDefault(); }
    else if (e.key === "Enter" && at >= 0 && e.target === rows[at]) {
      window.location.href = rows[at].dataset.href;
      e.preventDefault();
    }
    else if (e.key === "n") {
      var pull = document.getElementById("pull-next");
      if (pull) { pull.click(); e.preventDefault(); }
    }
  });
})();
