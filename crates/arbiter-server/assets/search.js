// The search box from the keyboard: "/" moves the focus to it. Like every console shortcut it
// acts only when the focus is on no control (a link, button, field or list), so typing "/" in a
// field types it, and it is off when keyboard shortcuts are turned off on the queue page (the
// choice is kept in this browser). The box works without this script.
(function () {
  "use strict";
  var box = document.getElementById("site-search");
  if (!box) return;
  function on() {
    try { return window.localStorage.getItem("arbiter.queue-shortcuts") !== "off"; } catch (e) { return true; }
  }
  function onControl(target) {
    if (!target || !target.closest) return false;
    return target.isContentEditable ||
      !!target.closest("a[href], button, input, select, textarea, summary, [role=button], [role=link]");
  }
  document.addEventListener("keydown", function (e) {
    if (e.key !== "/" || !on() || e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    if (onControl(e.target)) return;
    box.focus();
    box.select();
    e.preventDefault();
  });
})();
