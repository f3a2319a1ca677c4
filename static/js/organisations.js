// Organisation pages: progressive enhancement only; every page works without this file.
(function () {
  "use strict";

  // Buttons with data-busy-label show it while their form is being sent, and cannot be
  // pressed twice (checking a large CSV file takes a moment).
  document.querySelectorAll("button[data-busy-label]").forEach(function (button) {
    var form = button.form;
    if (!form) {
      return;
    }
    form.addEventListener("submit", function () {
      button.disabled = true;
      button.textContent = button.getAttribute("data-busy-label");
      button.setAttribute("aria-busy", "true");
    });
  });
})();
