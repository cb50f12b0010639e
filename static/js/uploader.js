// The browser uploader of the Artifacts tab (progressive enhancement: without JavaScript the
// tab still lists every artifact and open session, and uploads go through the API).
//
// It speaks the upload protocol of the REST API with the browser session (CSRF header, no
// API token): start a session, PUT the chunks a few at a time with retries and exponential
// backoff per chunk, then complete with the SHA-256 computed here, and poll while the server
// assembles. The hash is computed in file order, slice by slice, while the chunks are being
// sent in any order, so the file is read once for hashing and once for sending and never held
// in memory. After a reload, choosing the same file again offers to resume its open session:
// the server says which chunks it has, only the missing ones are sent, and the whole file is
// hashed again locally.
(function () {
  "use strict";

  var configElement = document.getElementById("uploader-config");
  var root = document.getElementById("uploader");
  if (!configElement || !root || typeof window.sha256 !== "function" || !window.fetch ||
      !window.Blob || !Blob.prototype.arrayBuffer || !window.Promise) {
    return; // the tab keeps working as a list; the uploader stays hidden
  }
  var config = JSON.parse(configElement.textContent);
  var PARALLEL = Math.max(1, config.parallel || 3);
  var MAX_ATTEMPTS = config.maxAttempts || 6; // per chunk, first try included
  var BACKOFF_MS = config.backoffMs || 500; // 0.5 s, 1 s, 2 s, 4 s, 8 s (with jitter)
  var MAX_BACKOFF_MS = 30000;
  var POLL_MS = config.pollMs || 1000;
  var HASH_SLICE = 4 * 1024 * 1024; // bytes read per hashing step, whatever the chunk size
  var SPEED_WINDOW_MS = 5000;

  var el = function (id) { return document.getElementById(id); };
  var form = el("uploader-form");
  var fileInput = el("upload-file");
  var dropZone = el("drop-zone");
  var kindSelect = el("upload-kind");
  var versionSelect = el("upload-version");
  var makeCurrentBox = el("upload-make-current");
  var startButton = el("upload-start");
  var cancelButton = el("upload-cancel");
  var resumeBox = el("upload-resume");
  var resumeText = el("upload-resume-text");
  var resumeYes = el("upload-resume-yes");
  var resumeNo = el("upload-resume-no");
  var progressBox = el("upload-progress");
  var progressLabel = el("upload-progress-label");
  var percentText = el("upload-percent");
  var bar = el("upload-bar");
  var statsText = el("upload-stats");
  var hashText = el("upload-hash-status");
  var noteText = el("upload-note");
  var messageBox = el("upload-message");

  var selectedFile = null;
  var resumable = null; // an open session of the selected file, while the offer is shown
  var current = null; // the running upload

  // --- helpers --------------------------------------------------------------------------

  function csrfToken() {
    if (config.csrfToken) {
      return config.csrfToken;
    }
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function sessionUrl(id) {
    return config.uploadsUrl + "/" + encodeURIComponent(id);
  }

  function formatBytes(bytes) {
    var units = ["bytes", "KB", "MB", "GB", "TB"];
    var value = bytes;
    var unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    if (unit === 0) {
      return bytes === 1 ? "1 byte" : Math.round(bytes) + " bytes";
    }
    return value.toFixed(1) + " " + units[unit];
  }

  function formatDuration(seconds) {
    if (!isFinite(seconds) || seconds < 0) {
      return "";
    }
    seconds = Math.ceil(seconds);
    if (seconds < 60) {
      return seconds + " s";
    }
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) {
      return minutes + " min " + (seconds % 60) + " s";
    }
    return Math.floor(minutes / 60) + " h " + (minutes % 60) + " min";
  }

  function sleep(ms) {
    return new Promise(function (resolve) { window.setTimeout(resolve, ms); });
  }

  function backoff(attempt) {
    var base = Math.min(MAX_BACKOFF_MS, BACKOFF_MS * Math.pow(2, attempt - 1));
    return Math.round(base * (0.75 + Math.random() * 0.5));
  }

  // An error that carries the server's message (error.message of the API's error body).
  function UploadError(message, status, code, retryable) {
    this.name = "UploadError";
    this.message = message;
    this.status = status || 0;
    this.code = code || "";
    this.retryable = !!retryable;
  }
  UploadError.prototype = Object.create(Error.prototype);

  function fallbackMessage(status) {
    if (status === 413) {
      return "The file is larger than this server accepts.";
    }
    if (status === 403) {
      return "You cannot upload to this record; ask for editor access.";
    }
    if (status === 0) {
      return "The server could not be reached; check the connection and try again.";
    }
    return "The server answered " + status + "; try again.";
  }

  function apiError(status, data) {
    var error = data && data.error;
    var message = error && error.message ? error.message : fallbackMessage(status);
    var retryable = status === 0 || status === 408 || status === 429 || status >= 500;
    return new UploadError(message, status, error && error.code, retryable);
  }

  function api(method, url, body) {
    var headers = {"Accept": "application/json", "X-CSRFToken": csrfToken()};
    var init = {method: method, headers: headers, credentials: "same-origin"};
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (response) {
      if (response.status === 204) {
        return {status: 204, data: null};
      }
      return response.json().catch(function () { return null; }).then(function (data) {
        return {status: response.status, data: data};
      });
    }, function () {
      throw new UploadError(fallbackMessage(0), 0, "network_error", true);
    });
  }

  // --- messages and state ---------------------------------------------------------------

  function showMessage(kind, parts) {
    // ``parts``: strings, or {code: text} for a monospace, selectable span (checksums).
    messageBox.textContent = "";
    if (!parts) {
      return;
    }
    var alert = document.createElement("div");
    alert.className = "alert mb-0 alert-" + kind;
    alert.setAttribute("role", kind === "danger" ? "alert" : "status");
    [].concat(parts).forEach(function (part) {
      if (typeof part === "string") {
        alert.appendChild(document.createTextNode(part));
      } else {
        var code = document.createElement("code");
        code.className = "sha256";
        code.textContent = part.code;
        alert.appendChild(code);
      }
    });
    messageBox.appendChild(alert);
  }

  function setBusy(busy) {
    [fileInput, kindSelect, versionSelect, makeCurrentBox].forEach(function (input) {
      if (input) {
        input.disabled = busy;
      }
    });
    startButton.disabled = busy || !selectedFile || !!resumable;
    cancelButton.hidden = !busy;
    cancelButton.disabled = false;
    root.classList.toggle("is-busy", busy);
  }

  function hideResume() {
    resumable = null;
    resumeBox.hidden = true;
  }

  // --- progress ---------------------------------------------------------------------------

  function Upload(file) {
    this.file = file;
    this.session = null;
    this.stopped = false; // no new work: cancelled, failed or finished
    this.cancelled = false;
    this.requests = [];
    this.inflight = {}; // chunk index -> bytes of it sent so far
    this.doneBytes = 0; // bytes of chunks the server confirmed
    this.resumedBytes = 0; // already on the server when this run started
    this.hashedBytes = 0;
    this.samples = [];
    this.frame = 0;
    // Redraw every second too, so speed and time left stay true while no bytes move.
    var self = this;
    this.ticker = window.setInterval(function () {
      if (self.session && !self.finishing) {
        self.render();
      }
    }, 1000);
  }

  Upload.prototype.stop = function () {
    this.stopped = true;
    window.clearInterval(this.ticker);
    this.requests.slice().forEach(function (xhr) { xhr.abort(); });
  };

  Upload.prototype.sentBytes = function () {
    var total = this.doneBytes;
    for (var index in this.inflight) {
      if (Object.prototype.hasOwnProperty.call(this.inflight, index)) {
        total += this.inflight[index];
      }
    }
    return Math.min(total, this.file.size);
  };

  Upload.prototype.render = function () {
    var self = this;
    if (this.frame) {
      return;
    }
    this.frame = window.requestAnimationFrame(function () {
      self.frame = 0;
      self.draw();
    });
  };

  Upload.prototype.draw = function () {
    var total = this.file.size;
    var sent = this.sentBytes();
    var now = performance.now();
    this.samples.push({t: now, bytes: sent});
    while (this.samples.length > 2 && now - this.samples[0].t > SPEED_WINDOW_MS) {
      this.samples.shift();
    }
    var first = this.samples[0];
    var elapsed = (now - first.t) / 1000;
    var speed = elapsed > 0.2 ? (sent - first.bytes) / elapsed : 0;
    var percent = total ? Math.floor((sent * 100) / total) : 100;
    bar.max = Math.max(total, 1);
    bar.value = sent;
    percentText.textContent = percent + "%";
    var stats = formatBytes(sent) + " of " + formatBytes(total);
    if (sent < total && speed > 0) {
      stats += " · " + formatBytes(speed) + "/s · " + formatDuration((total - sent) / speed) + " left";
    } else if (sent < total && now - first.t >= SPEED_WINDOW_MS) {
      stats += " · waiting for the server…";
    }
    if (this.resumedBytes) {
      stats += " · " + formatBytes(this.resumedBytes) + " were already on the server";
    }
    statsText.textContent = stats;
    if (this.hashedBytes < total) {
      hashText.textContent = "Computing the SHA-256 checksum: " + Math.floor((this.hashedBytes * 100) / total) + "%";
    }
  };

  function showProgress(file) {
    progressBox.hidden = false;
    root.classList.remove("is-failed");
    progressLabel.textContent = file.name;
    percentText.textContent = "0%";
    bar.max = Math.max(file.size, 1);
    bar.value = 0;
    statsText.textContent = "Starting…";
    hashText.textContent = "";
    noteText.textContent = "";
  }

  // --- hashing ----------------------------------------------------------------------------

  function hashFile(upload) {
    var hasher = window.sha256.create();
    var size = upload.file.size;
    var offset = 0;

    function step() {
      if (upload.stopped) {
        return Promise.reject(new UploadError("stopped", 0, "stopped"));
      }
      if (offset >= size) {
        var digest = hasher.hex();
        hashText.textContent = "SHA-256 computed in this browser: " + digest;
        return Promise.resolve(digest);
      }
      var end = Math.min(size, offset + HASH_SLICE);
      return upload.file.slice(offset, end).arrayBuffer().then(function (buffer) {
        hasher.update(buffer);
        offset = end;
        upload.hashedBytes = end;
        upload.render();
        return step();
      });
    }

    return step();
  }

  // --- chunks -----------------------------------------------------------------------------

  function putChunk(upload, index) {
    var session = upload.session;
    var start = index * session.chunk_size;
    var end = Math.min(start + session.chunk_size, upload.file.size);
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      var forget = function () {
        var at = upload.requests.indexOf(xhr);
        if (at >= 0) {
          upload.requests.splice(at, 1);
        }
      };
      xhr.open("PUT", sessionUrl(session.id) + "/chunks/" + index);
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRFToken", csrfToken());
      xhr.upload.onprogress = function (event) {
        upload.inflight[index] = Math.min(event.loaded, end - start);
        upload.render();
      };
      xhr.onload = function () {
        forget();
        var data = null;
        try {
          data = JSON.parse(xhr.responseText);
        } catch (ignored) {
          data = null;
        }
        if (xhr.status === 200 && data) {
          resolve(data);
        } else {
          reject(apiError(xhr.status, data));
        }
      };
      xhr.onerror = function () {
        forget();
        reject(new UploadError("The connection failed while sending chunk " + index + ".", 0, "network_error", true));
      };
      xhr.ontimeout = xhr.onerror;
      xhr.onabort = function () {
        forget();
        reject(new UploadError("stopped", 0, "stopped"));
      };
      upload.requests.push(xhr);
      xhr.send(upload.file.slice(start, end));
    });
  }

  function sendChunk(upload, index, attempt) {
    attempt = attempt || 1;
    return putChunk(upload, index).then(function (receipt) {
      if (attempt > 1) {
        noteText.textContent = "Chunk " + (index + 1) + " was sent again successfully.";
      }
      delete upload.inflight[index];
      upload.doneBytes += receipt.size;
      upload.render();
    }, function (error) {
      delete upload.inflight[index];
      upload.render();
      if (upload.stopped) {
        throw new UploadError("stopped", 0, "stopped");
      }
      if (!error.retryable || attempt >= MAX_ATTEMPTS) {
        throw error;
      }
      var wait = backoff(attempt);
      noteText.textContent = "Chunk " + (index + 1) + " failed (" + error.message + "); retrying in " +
        formatDuration(wait / 1000) + " (attempt " + (attempt + 1) + " of " + MAX_ATTEMPTS + ").";
      return sleep(wait).then(function () {
        if (upload.stopped) {
          throw new UploadError("stopped", 0, "stopped");
        }
        return sendChunk(upload, index, attempt + 1);
      });
    });
  }

  function sendChunks(upload, indexes) {
    var queue = indexes.slice();
    function worker() {
      if (!queue.length || upload.stopped) {
        return Promise.resolve();
      }
      return sendChunk(upload, queue.shift()).then(worker);
    }
    var workers = [];
    var count = Math.min(PARALLEL, queue.length); // fixed first: each worker takes from the queue at once
    for (var k = 0; k < count; k += 1) {
      workers.push(worker());
    }
    return Promise.all(workers);
  }

  function missingChunks(session) {
    var received = {};
    (session.received_chunks || []).forEach(function (index) { received[index] = true; });
    var missing = [];
    for (var index = 0; index < session.total_chunks; index += 1) {
      if (!received[index]) {
        missing.push(index);
      }
    }
    return missing;
  }

  // --- completion -------------------------------------------------------------------------

  function pollSession(upload) {
    var failures = 0;
    function poll() {
      return sleep(POLL_MS).then(function () {
        if (upload.stopped) {
          throw new UploadError("stopped", 0, "stopped");
        }
        return api("GET", sessionUrl(upload.session.id));
      }).then(function (response) {
        failures = 0;
        if (response.status !== 200) {
          throw apiError(response.status, response.data);
        }
        var session = response.data;
        if (session.status === "assembling") {
          return poll();
        }
        if (session.status === "open" && !session.error) {
          return poll(); // not claimed yet
        }
        return session;
      }, function (error) {
        failures += 1;
        if (error.retryable && failures < MAX_ATTEMPTS) {
          return poll();
        }
        throw error;
      });
    }
    return poll();
  }

  function complete(upload, digest, refilled) {
    upload.finishing = true;
    statsText.textContent = "All chunks sent. The server is assembling the file and verifying its checksum…";
    return api("POST", sessionUrl(upload.session.id) + "/complete", {expected_sha256: digest}).then(function (response) {
      var error = response.data && response.data.error;
      if (response.status === 400 && error && error.code === "missing_chunks" && !refilled) {
        // The server lacks chunks it should have (a lost write): send those once more.
        return api("GET", sessionUrl(upload.session.id)).then(function (state) {
          if (state.status !== 200) {
            throw apiError(state.status, state.data);
          }
            upload.finishing = false;
          return sendChunks(upload, missingChunks(state.data));
        }).then(function () {
          return complete(upload, digest, true);
        });
      }
      if (response.status === 202) {
        statsText.textContent = "The server is assembling the file and verifying its checksum…";
        return pollSession(upload);
      }
      if (response.status === 200 || response.status === 201) {
        return response.data;
      }
      throw apiError(response.status, response.data);
    });
  }

  function refreshLists() {
    // The lists are rendered by the server; take them from a fresh copy of this page.
    return fetch(window.location.href, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (!html) {
          return;
        }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        ["upload-sessions", "artifact-list"].forEach(function (id) {
          var replacement = fresh.getElementById(id);
          var existing = document.getElementById(id);
          if (replacement && existing) {
            existing.replaceWith(document.importNode(replacement, true));
          }
        });
      })
      .catch(function () { /* the next page load shows them */ });
  }

  function finish(upload, session, digest) {
    if (session.status !== "completed") {
      var error = session.error || {};
      throw new UploadError(error.message || "The upload ended as " + session.status + ".", 0, error.code);
    }
    return api("GET", config.artifactsUrl + "/" + encodeURIComponent(session.artifact_id)).then(function (response) {
      var artifact = response.status === 200 ? response.data : {file_name: upload.file.name, sha256: digest,
                                                                 size_bytes: upload.file.size};
      upload.doneBytes = upload.file.size;
      upload.inflight = {};
      upload.draw();
      percentText.textContent = "100%";
      statsText.textContent = formatBytes(upload.file.size) + " uploaded.";
      showMessage("success", ["Uploaded " + artifact.file_name + " (" + formatBytes(artifact.size_bytes) +
        "). The server verified its SHA-256: ", {code: artifact.sha256}]);
      return session.artifact_id;
    });
  }

  // --- the run ----------------------------------------------------------------------------

  function abortSession(upload) {
    if (!upload.session) {
      return Promise.resolve(true);
    }
    return api("DELETE", sessionUrl(upload.session.id)).then(function (response) {
      if (response.status === 204 || response.status === 404) {
        return true;
      }
      throw apiError(response.status, response.data);
    });
  }

  function openSession(upload, resumeFrom) {
    if (resumeFrom) {
      return api("GET", sessionUrl(resumeFrom.id)).then(function (response) {
        if (response.status !== 200) {
          throw apiError(response.status, response.data);
        }
        if (response.data.status !== "open") {
          throw new UploadError("That upload can no longer be resumed (it is " + response.data.status +
            "); choose the file again to start over.", 0, "not_resumable");
        }
        return response.data;
      });
    }
    var body = {
      file_name: upload.file.name,
      content_type: upload.file.type || "application/octet-stream",
      total_size: upload.file.size,
      artifact_kind: kindSelect.value,
      version_id: versionSelect && versionSelect.value ? versionSelect.value : null,
      make_current: !!(makeCurrentBox && makeCurrentBox.checked),
    };
    return api("POST", config.uploadsUrl, body).then(function (response) {
      if (response.status !== 201) {
        throw apiError(response.status, response.data);
      }
      return response.data;
    });
  }

  function run(file, resumeFrom) {
    var upload = new Upload(file);
    current = upload;
    hideResume();
    showMessage(null);
    showProgress(file);
    setBusy(true);
    var digest = null;
    var artifactId = null;
    return openSession(upload, resumeFrom).then(function (session) {
      upload.session = session;
      if (upload.cancelled) {
        return abortSession(upload);
      }
      upload.doneBytes = upload.resumedBytes = session.received_bytes || 0;
      upload.render();
      var hashing = hashFile(upload).then(function (hex) { digest = hex; });
      return Promise.all([hashing, sendChunks(upload, missingChunks(session))]).then(function () {
        return complete(upload, digest);
      }).then(function (finished) {
        return finish(upload, finished, digest);
      }).then(function (id) {
        artifactId = id;
      });
    }).catch(function (error) {
      upload.stop();
      if (upload.cancelled) {
        return;
      }
      root.classList.add("is-failed");
      var text = error && error.message ? error.message : String(error);
      var hint = upload.session && upload.session.status === "open" && error.code !== "upload_expired" &&
        error.code !== "upload_not_open" ? " The bytes already sent are kept, so the upload can be resumed." : "";
      statsText.textContent = "Upload stopped.";
      showMessage("danger", ["The upload of " + file.name + " failed: " + text + hint]);
    }).then(function () {
      // The form is usable again before the lists are refreshed.
      upload.stop();
      if (current === upload) {
        current = null;
      }
      if (artifactId || upload.cancelled) {
        clearFile(); // ready for the next file; choosing the same one again fires a change
      } else {
        offerResumeOf(file); // a failure: its open session can be resumed at once
      }
      setBusy(false);
      if (upload.cancelled) {
        return null; // cancel() refreshes once the session is aborted
      }
      return refreshLists().then(function () {
        var row = artifactId && document.getElementById("artifact-" + artifactId);
        if (row) {
          row.classList.add("table-success");
        }
      });
    });
  }

  function cancel() {
    var upload = current;
    if (!upload || upload.cancelled) {
      return;
    }
    upload.cancelled = true;
    upload.stop();
    cancelButton.disabled = true;
    statsText.textContent = "Cancelling…";
    abortSession(upload).then(function () {
      statsText.textContent = "Upload cancelled.";
      showMessage("secondary", ["The upload of " + upload.file.name + " was cancelled; nothing was kept on the server."]);
    }, function (error) {
      showMessage("danger", ["The upload could not be cancelled: " + error.message]);
    }).then(refreshLists);
  }

  // --- choosing a file ----------------------------------------------------------------------

  function offerResume(file, session) {
    resumable = session;
    var have = (session.received_chunks || []).length;
    var percent = session.total_size ? Math.floor((session.received_bytes * 100) / session.total_size) : 0;
    resumeText.textContent = "An upload of " + file.name + " (" + formatBytes(file.size) + ") is already open: " +
      have + " of " + session.total_chunks + " chunks (" + percent + "%) are on the server. Resume it and send only " +
      "the missing chunks, or start over?";
    resumeBox.hidden = false;
    startButton.disabled = true;
  }

  function clearFile() {
    selectedFile = null;
    fileInput.value = "";
    hideResume();
  }

  // Ask the server for an open session of the same file name and size, and offer to resume it.
  function offerResumeOf(file) {
    return api("GET", config.uploadsUrl).then(function (response) {
      if (file !== selectedFile || current || response.status !== 200 || !Array.isArray(response.data)) {
        return;
      }
      var match = response.data.filter(function (session) {
        return session.status === "open" && session.file_name === file.name && session.total_size === file.size;
      })[0];
      if (match) {
        offerResume(file, match);
      }
    }, function () { /* offline: starting will say so */ });
  }

  function choose(file) {
    selectedFile = file || null;
    hideResume();
    showMessage(null);
    startButton.disabled = !selectedFile;
    if (selectedFile) {
      offerResumeOf(selectedFile);
    }
  }

  fileInput.addEventListener("change", function () {
    choose(fileInput.files && fileInput.files[0]);
  });

  ["dragenter", "dragover"].forEach(function (type) {
    dropZone.addEventListener(type, function (event) {
      event.preventDefault();
      if (!current) {
        dropZone.classList.add("is-dragover");
      }
    });
  });
  ["dragleave", "dragend"].forEach(function (type) {
    dropZone.addEventListener(type, function () { dropZone.classList.remove("is-dragover"); });
  });
  dropZone.addEventListener("drop", function (event) {
    event.preventDefault();
    dropZone.classList.remove("is-dragover");
    if (current || !event.dataTransfer || !event.dataTransfer.files.length) {
      return;
    }
    try {
      fileInput.files = event.dataTransfer.files;
    } catch (ignored) {
      // older browsers cannot set the input's files; the upload uses the dropped file anyway
    }
    choose(event.dataTransfer.files[0]);
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (selectedFile && !current && !resumable) {
      run(selectedFile, null);
    }
  });

  resumeYes.addEventListener("click", function () {
    if (selectedFile && resumable && !current) {
      run(selectedFile, resumable);
    }
  });

  resumeNo.addEventListener("click", function () {
    if (!selectedFile || !resumable || current) {
      return;
    }
    var stale = {session: resumable};
    hideResume();
    abortSession(stale).then(function () {
      run(selectedFile, null);
    }, function (error) {
      showMessage("danger", ["The open upload could not be discarded: " + error.message]);
      startButton.disabled = false;
    });
  });

  cancelButton.addEventListener("click", cancel);

  root.hidden = false;
})();
