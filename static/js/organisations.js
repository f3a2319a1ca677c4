// Organisation pages: progressive enhancements only; every page works without this file.
(function () {
  "use strict";

  // Filter forms marked data-autosubmit apply a changed <select> at once.
  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    form.querySelectorAll("select").forEach(function (select) {
      select.addEventListener("change", function () {
        form.requestSubmit();
      });
    });
  });

  // Buttons with data-busy-label show it while their form is being sent, and cannot be
  // pressed twice (a large CSV takes a moment to check).
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
