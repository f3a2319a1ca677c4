// Upload forms with a progress bar. Any <form data-upload-form> is sent with XMLHttpRequest so
// the browser reports upload progress; without JavaScript the same form posts normally.
(function () {
  "use strict";

  function formatBytes(bytes) {
    var units = ["bytes", "KB", "MB", "GB", "TB"];
    var value = bytes;
    var unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return (unit === 0 ? value : value.toFixed(1)) + " " + units[unit];
  }

  function replaceMain(html) {
    // The server answered with the form and its errors: show its <main> in place.
    var doc = new DOMParser().parseFromString(html, "text/html");
    var incoming = doc.getElementById("main");
    var current = document.getElementById("main");
    if (incoming && current) {
      current.innerHTML = incoming.innerHTML;
      init(current);
      var summary = current.querySelector("[data-error-summary]");
      (summary || current).focus();
      return true;
    }
    return false;
  }

  function tooLarge(form) {
    var input = form.querySelector("input[type=file][data-upload-max-bytes]");
    if (!input || !input.files || !input.files.length) {
      return null;
    }
    var limit = parseInt(input.getAttribute("data-upload-max-bytes"), 10);
    var file = input.files[0];
    if (limit && file.size > limit) {
      return "The file is " + formatBytes(file.size) + ", larger than the " + formatBytes(limit) + " limit.";
    }
    return null;
  }

  function bind(form) {
    if (form.dataset.uploadBound) {
      return;
    }
    form.dataset.uploadBound = "1";
    var box = form.querySelector("[data-upload-progress]");
    var bar = form.querySelector("[data-upload-bar]");
    var status = form.querySelector("[data-upload-status]");
    var cancel = form.querySelector("[data-upload-cancel]");
    var submit = form.querySelector("button[type=submit]");
    if (!box || !bar || !status || !window.FormData || !window.XMLHttpRequest) {
      return; // the plain form post still works
    }

    var current = null;
    if (cancel) {
      cancel.addEventListener("click", function () {
        if (current) {
          current.abort();
        }
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var problem = tooLarge(form);
      box.hidden = false;
      if (problem) {
        status.textContent = problem;
        return;
      }
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action") || window.location.href);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      // The token in a header lets the server check CSRF before it reads the (large) body.
      var token = form.querySelector("input[name=csrfmiddlewaretoken]");
      if (token) {
        xhr.setRequestHeader("X-CSRFToken", token.value);
      }
      bar.value = 0;
      status.textContent = "Starting the upload…";
      if (submit) {
        submit.disabled = true;
      }

      xhr.upload.addEventListener("progress", function (progress) {
        if (progress.lengthComputable) {
          var percent = Math.floor((progress.loaded / progress.total) * 100);
          bar.value = percent;
          status.textContent = "Uploaded " + formatBytes(progress.loaded) + " of " + formatBytes(progress.total) + " (" + percent + "%).";
        }
      });
      xhr.upload.addEventListener("load", function () {
        bar.value = 100;
        status.textContent = "Upload complete. Checking the file and computing its SHA-256…";
      });
      xhr.addEventListener("load", function () {
        var finalUrl = xhr.responseURL || "";
        var formUrl = new URL(form.getAttribute("action") || window.location.href, window.location.href).href;
        if (xhr.status >= 200 && xhr.status < 300 && finalUrl && finalUrl !== formUrl) {
          window.location.assign(finalUrl); // redirected after a successful upload
          return;
        }
        if (!replaceMain(xhr.responseText)) {
          failed("The server could not take the file (status " + xhr.status + "). Please try again.");
        }
      });
      function failed(message) {
        status.textContent = message;
        if (submit) {
          submit.disabled = false;
        }
      }
      xhr.addEventListener("error", function () {
        failed("The upload failed: the connection was lost or the server refused the file. Please try again.");
      });
      xhr.addEventListener("abort", function () {
        bar.value = 0;
        failed("Upload cancelled. Nothing was saved.");
      });
      current = xhr;
      xhr.send(new FormData(form));
    });
  }

  function init(root) {
    var forms = (root || document).querySelectorAll("form[data-upload-form]");
    for (var i = 0; i < forms.length; i += 1) {
      bind(forms[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      init(document);
    });
  } else {
    init(document);
  }
})();
