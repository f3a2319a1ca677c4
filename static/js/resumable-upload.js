// Resumable uploads of dataset files in parts (issue 21), on every deployment.
//
// The page's form carries data-resumable-upload. With this script the file never goes in one
// request: the SHA-256 is computed here (js-sha256, slice by slice), the upload is started with
// the JSON API (POST /api/v1/file-uploads/, session and CSRF), and Uppy's AwsS3 plugin (vendored)
// sends the parts to the short-lived URLs the server issues after its policy check: the bucket's
// on object storage, this server's on local storage. Uppy is always handed the upload as one to
// resume, so it first asks which parts are stored and sends only the others; after a lost
// connection or a page reload, choosing the same file again resumes where it stopped (the
// upload's id is kept in localStorage). When every part is stored, the API completes the upload:
// the server checks the SHA-256 before the file appears (a large file in the background: the
// answer is the upload, "verifying", and this polls it until it is completed or refused).
// Without JavaScript the form posts the file through the server as before.
(function () {
  "use strict";

  var HASH_SLICE = 8 * 1024 * 1024;
  var STORE_PREFIX = "stratum.upload.";
  var POLL_MS = 3000;

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

  function problemText(data, status) {
    // RFC 9457 problem details: per-field errors first, else the detail.
    if (data && data.errors && typeof data.errors === "object") {
      var messages = [];
      Object.keys(data.errors).forEach(function (field) {
        [].concat(data.errors[field]).forEach(function (message) {
          messages.push(String(message));
        });
      });
      if (messages.length) {
        return messages.join(" ");
      }
    }
    if (data && data.detail) {
      return String(data.detail);
    }
    return "The server answered with status " + status + ".";
  }

  function storeKey(datasetId, file) {
    return STORE_PREFIX + datasetId + "." + file.size + "." + file.lastModified + "." + file.name;
  }

  function remembered(key) {
    try {
      return JSON.parse(window.localStorage.getItem(key) || "null");
    } catch (error) {
      return null;
    }
  }

  function remember(key, value) {
    try {
      if (value) {
        window.localStorage.setItem(key, JSON.stringify(value));
      } else {
        window.localStorage.removeItem(key);
      }
    } catch (error) {
      // Private mode or a full store: the upload still works, it just cannot resume after a reload.
    }
  }

  function unfinished(datasetId) {
    var found = [];
    try {
      for (var i = 0; i < window.localStorage.length; i += 1) {
        var key = window.localStorage.key(i);
        if (key && key.indexOf(STORE_PREFIX + datasetId + ".") === 0) {
          var record = remembered(key);
          if (record && record.name) {
            found.push(record);
          }
        }
      }
    } catch (error) {
      return [];
    }
    return found;
  }

  function sha256Of(file, onProgress) {
    var hasher = window.sha256.create();
    var offset = 0;
    function next() {
      if (offset >= file.size) {
        return Promise.resolve(hasher.hex());
      }
      var end = Math.min(offset + HASH_SLICE, file.size);
      return file.slice(offset, end).arrayBuffer().then(function (buffer) {
        hasher.update(buffer);
        offset = end;
        onProgress(offset, file.size);
        return next();
      });
    }
    return next();
  }

  function bind(form) {
    if (form.dataset.resumableBound) {
      return;
    }
    var box = form.querySelector("[data-upload-progress]");
    var bar = form.querySelector("[data-upload-bar]");
    var status = form.querySelector("[data-upload-status]");
    var cancel = form.querySelector("[data-upload-cancel]");
    var submit = form.querySelector("button[type=submit]");
    var input = form.querySelector("input[type=file]");
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    if (!box || !bar || !status || !input || !token || !window.Uppy || !window.sha256 || !window.fetch) {
      return; // the plain form post still works
    }
    form.dataset.resumableBound = "1";
    var datasetId = form.getAttribute("data-dataset-id");
    var apiUrl = form.getAttribute("data-api-url");
    var endpoint = form.getAttribute("data-uppy-endpoint");
    var doneUrl = form.getAttribute("data-done-url");
    var limit = parseInt(form.getAttribute("data-max-bytes"), 10);
    var current = null; // {uppy, upload, key}

    var notice = document.querySelector("[data-upload-unfinished]");
    var waiting = unfinished(datasetId);
    if (notice && waiting.length) {
      notice.textContent = "An upload was interrupted: " + waiting.map(function (record) {
        return record.name + " (" + formatBytes(record.size) + ")";
      }).join(", ") + ". Choose the same file and press Upload to resume it; the parts already stored are not sent again.";
      notice.hidden = false;
    }

    function say(message) {
      box.hidden = false;
      status.textContent = message;
    }

    function failed(message) {
      say(message);
      if (submit) {
        submit.disabled = false;
      }
      status.focus();
    }

    function call(method, url, body) {
      return window.fetch(url, {
        method: method,
        credentials: "same-origin",
        headers: {
          Accept: "application/json",
          "Content-Type": "application/json",
          "X-CSRFToken": token.value,
        },
        body: body ? JSON.stringify(body) : undefined,
      }).then(function (response) {
        if (response.status === 204) {
          return null;
        }
        return response.json().catch(function () {
          return null;
        }).then(function (data) {
          if (!response.ok) {
            var error = new Error(problemText(data, response.status));
            error.status = response.status;
            throw error;
          }
          return data;
        });
      });
    }

    function resumable(key) {
      // The upload this browser started for this very file, if the server still has it open.
      var record = remembered(key);
      if (!record || !record.id) {
        return Promise.resolve(null);
      }
      return call("GET", apiUrl + record.id + "/").then(function (upload) {
        if (upload.status === "open" || upload.status === "verifying") {
          return upload;
        }
        remember(key, null);
        return null;
      }, function () {
        remember(key, null);
        return null;
      });
    }

    function start(file, key) {
      say("Computing the file's SHA-256 checksum…");
      bar.value = 0;
      return sha256Of(file, function (done, total) {
        var percent = Math.floor((done / total) * 100);
        bar.value = percent;
        say("Computing the file's SHA-256 checksum: " + percent + "%.");
      }).then(function (digest) {
        return call("POST", apiUrl, {
          dataset: datasetId,
          file_name: file.name,
          size: file.size,
          sha256: digest,
        });
      }).then(function (upload) {
        remember(key, { id: upload.id, name: file.name, size: file.size });
        return upload;
      });
    }

    function done(key) {
      remember(key, null);
      say("Uploaded and checked. Opening the dataset…");
      window.location.assign(doneUrl);
    }

    function checked(upload, key) {
      // A large file: the server's worker reads it for its SHA-256; ask again until it is done.
      bar.value = 100;
      say("All parts are stored. The server is checking the file's SHA-256; a large file takes a few minutes…");
      return new Promise(function (resolve) {
        window.setTimeout(resolve, POLL_MS);
      }).then(function () {
        return call("GET", apiUrl + upload.id + "/");
      }).then(function (now) {
        if (now.status === "verifying") {
          return checked(now, key);
        }
        if (now.status === "completed") {
          return done(key);
        }
        remember(key, null);
        throw new Error(now.error || "The upload was abandoned.");
      });
    }

    function complete(upload, key) {
      bar.value = 100;
      say("All parts are stored. The server is checking the file's SHA-256…");
      return call("POST", apiUrl + upload.id + "/complete/").then(function (answer) {
        if (answer && answer.status === "verifying") {
          return checked(answer, key);
        }
        done(key);
      }, function (error) {
        if (error.status !== 400 || !/missing/.test(error.message)) {
          remember(key, null); // the server dropped the upload: it cannot be resumed
        }
        throw error;
      });
    }

    function sendParts(file, upload, key) {
      var stored = upload.parts.length;
      var uppy = new window.Uppy.Uppy({ autoProceed: false, allowMultipleUploadBatches: true });
      uppy.use(window.Uppy.AwsS3, {
        companionEndpoint: endpoint,
        shouldUseMultipart: true,
        limit: 1,
        getChunkSize: function () {
          return upload.part_size; // the server's: it checks each part's size on completion
        },
      });
      current = { uppy: uppy, upload: upload, key: key };
      var fileId = uppy.addFile({ name: file.name, type: file.type || "application/octet-stream", data: file, source: "Local", isRemote: false });
      // Always a resume: Uppy lists the stored parts and sends only the missing ones.
      uppy.setFileState(fileId, { s3Multipart: { uploadId: upload.id, key: upload.id } });
      say(stored
        ? "Resuming: " + stored + " of " + upload.part_count + " parts are already stored and will not be sent again."
        : "Sending " + upload.part_count + " part(s)…");
      uppy.on("upload-progress", function (uploaded, progress) {
        if (!progress.bytesTotal) {
          return;
        }
        var percent = Math.floor((progress.bytesUploaded / progress.bytesTotal) * 100);
        bar.value = percent;
        status.textContent = "Uploaded " + formatBytes(progress.bytesUploaded) + " of " + formatBytes(progress.bytesTotal) + " (" + percent + "%).";
      });
      uppy.on("s3-multipart:part-uploaded", function (uploaded, part) {
        form.setAttribute("data-parts-sent", String((parseInt(form.getAttribute("data-parts-sent") || "0", 10)) + 1));
        form.setAttribute("data-last-part", String(part.PartNumber));
      });
      return new Promise(function (resolve, reject) {
        uppy.on("upload-success", function () {
          resolve();
        });
        uppy.on("upload-error", function (uploaded, error) {
          reject(error);
        });
        uppy.upload().catch(reject);
      });
    }

    if (cancel) {
      cancel.addEventListener("click", function () {
        if (!current) {
          return;
        }
        var upload = current.upload;
        remember(current.key, null);
        current.uppy.cancelAll();
        current = null;
        bar.value = 0;
        call("DELETE", apiUrl + upload.id + "/").then(function () {
          failed("Upload cancelled. Nothing was saved.");
        }, function (error) {
          failed("Upload cancelled, but the server could not drop the parts yet (" + error.message + "); they are removed automatically later.");
        });
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var file = input.files && input.files[0];
      if (!file) {
        failed("Choose a file to upload.");
        return;
      }
      if (!file.size) {
        failed("The file is empty.");
        return;
      }
      if (limit && file.size > limit) {
        failed("The file is " + formatBytes(file.size) + ", larger than the " + formatBytes(limit) + " limit.");
        return;
      }
      if (submit) {
        submit.disabled = true;
      }
      var key = storeKey(datasetId, file);
      resumable(key).then(function (upload) {
        return upload || start(file, key);
      }).then(function (upload) {
        if (upload.status === "verifying") {
          return checked(upload, key); // completed before a reload: still being checked
        }
        return sendParts(file, upload, key).then(function () {
          return complete(upload, key);
        });
      }).catch(function (error) {
        if (current) {
          current.uppy.destroy(); // a new attempt starts a fresh uploader (its abort is a no-op)
        }
        current = null;
        var message = error && error.message ? error.message : String(error);
        if (remembered(key)) {
          failed("The upload stopped: " + message + " The parts already stored are kept: press Upload again (or come back later and choose the same file) to resume.");
        } else {
          failed("The upload failed: " + message);
        }
      });
    });
  }

  function init(root) {
    var forms = (root || document).querySelectorAll("form[data-resumable-upload]");
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
