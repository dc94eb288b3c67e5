// The console's own script: small, no framework. htmx does the live parts.
(function () {
  "use strict";
  // A prepared answer goes into the reply box, where the organizer edits it before sending.
  document.addEventListener("click", function (event) {
    var button = event.target.closest(".canned-answer");
    if (!button) { return; }
    var box = document.getElementById("body");
    if (!box) { return; }
    box.value = box.value ? box.value + "\n" + button.dataset.text : button.dataset.text;
    box.focus();
    box.dispatchEvent(new Event("input", { bubbles: true }));
  });
  // A form that failed: its error summary takes the focus, so screen readers announce it.
  function focusSummary() {
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  }
  document.addEventListener("DOMContentLoaded", focusSummary);
  document.addEventListener("htmx:afterSwap", focusSummary);
})();
