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

// Contacts and imports (bot/console/contacts.py): a list dropped on the upload zone goes into
// its file input; the chosen file's name is shown. Without this script the input still works.
(function () {
  "use strict";
  function showName(zone, input) {
    var label = zone.querySelector(".dropzone-name");
    if (label) { label.textContent = input.files && input.files.length ? input.files[0].name : ""; }
  }
  function setUp(zone) {
    var input = zone.querySelector("input[type=file]");
    if (!input || zone.dataset.dropzoneReady) { return; }
    zone.dataset.dropzoneReady = "1";
    input.addEventListener("change", function () { showName(zone, input); });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("dropzone-over");
      });
    });
    ["dragleave", "dragend"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("dropzone-over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("dropzone-over");
      var files = event.dataTransfer && event.dataTransfer.files;
      if (!files || !files.length) { return; }
      input.files = files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }
  function setUpAll() { document.querySelectorAll("[data-dropzone]").forEach(setUp); }
  document.addEventListener("DOMContentLoaded", setUpAll);
  document.addEventListener("htmx:afterSwap", setUpAll);
})();
