// Stratum site behaviour shared by every page. Loaded after htmx and Bootstrap; no inline
// scripts anywhere (the CSP allows only same-origin script files).
(function () {
  "use strict";

  // The token is in a <meta> tag rather than read from the cookie: production names the cookie
  // __Host-csrftoken, and the meta tag works whatever the cookie is called.
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) {
      return meta.content;
    }
    var match = document.cookie.match(/(?:^|;\s*)(?:__Host-)?csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  document.addEventListener("htmx:configRequest", function (event) {
    var token = csrfToken();
    if (token) {
      event.detail.headers["X-CSRFToken"] = token;
    }
  });

  // Destructive actions: <form data-confirm="Remove this member?"> or the same on a button.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var message = (submitter && submitter.dataset.confirm) || form.dataset.confirm;
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  // Move focus to the form's error summary so keyboard and screen-reader users hear it first.
  function focusErrorSummary(root) {
    var summary = (root || document).querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusErrorSummary(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    focusErrorSummary(event.detail.target);
  });

  // Copy buttons: <button data-copy="#field-id">Copy</button> copies the field's value and says
  // so in the button's live region, so a one-time secret does not need a careful selection.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) {
      return;
    }
    var field = document.querySelector(button.dataset.copy);
    var status = button.parentElement.querySelector("[data-copy-status]");
    function announce(text) {
      if (status) {
        status.textContent = text;
      }
    }
    if (!field) {
      return;
    }
    var copied = navigator.clipboard
      ? navigator.clipboard.writeText(field.value)
      : Promise.reject(new Error("no clipboard"));
    copied.then(
      function () { announce("Copied."); },
      function () {
        field.select();
        announce("Selected: press Ctrl+C (or Cmd+C) to copy.");
      }
    );
  });
})();
