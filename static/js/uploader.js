// The browser uploader of the Artifacts tab (progressive enhancement: without JavaScript the
// tab still lists every artifact and open session, and uploads go through the API).
//
// This is the page: choosing or dropping a file, the progress bar with speed and time left,
// the messages, cancelling, and offering to resume an open session of the same file after a
// reload. The protocol itself (sessions, chunks, hashing, retries, completion) is in
// upload-protocol.js, which knows nothing of the page.
import { Upload, UploadClient } from "./upload-protocol.js";

const SPEED_WINDOW_MS = 5000;

function formatBytes(bytes) {
  const units = ["bytes", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
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
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return minutes + " min " + (seconds % 60) + " s";
  }
  return Math.floor(minutes / 60) + " h " + (minutes % 60) + " min";
}

function supported() {
  return typeof window.sha256 === "function" && window.fetch && window.Blob && Blob.prototype.arrayBuffer &&
    window.Promise;
}

function start(root, config) {
  const el = function (id) { return document.getElementById(id); };
  const form = el("uploader-form");
  const fileInput = el("upload-file");
  const dropZone = el("drop-zone");
  const kindSelect = el("upload-kind");
  const versionSelect = el("upload-version");
  const makeCurrentBox = el("upload-make-current");
  const startButton = el("upload-start");
  const cancelButton = el("upload-cancel");
  const resumeBox = el("upload-resume");
  const resumeText = el("upload-resume-text");
  const resumeYes = el("upload-resume-yes");
  const resumeNo = el("upload-resume-no");
  const progressBox = el("upload-progress");
  const progressLabel = el("upload-progress-label");
  const percentText = el("upload-percent");
  const bar = el("upload-bar");
  const statsText = el("upload-stats");
  const hashText = el("upload-hash-status");
  const noteText = el("upload-note");
  const messageBox = el("upload-message");

  const client = new UploadClient({
    uploadsUrl: config.uploadsUrl,
    artifactsUrl: config.artifactsUrl,
    csrfToken: csrfToken,
    createHasher: function () { return window.sha256.create(); },
    parallel: config.parallel,
    maxAttempts: config.maxAttempts,
    backoffMs: config.backoffMs,
    pollMs: config.pollMs,
  });

  let selectedFile = null;
  let resumable = null; // an open session of the selected file, while the offer is shown
  let current = null; // the running upload

  function csrfToken() {
    if (config.csrfToken) {
      return config.csrfToken;
    }
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  // --- messages and state ---------------------------------------------------------------

  function showMessage(kind, parts) {
    // ``parts``: strings, or {code: text} for a monospace, selectable span (checksums).
    messageBox.textContent = "";
    if (!parts) {
      return;
    }
    const alert = document.createElement("div");
    alert.className = "alert mb-0 alert-" + kind;
    alert.setAttribute("role", kind === "danger" ? "alert" : "status");
    [].concat(parts).forEach(function (part) {
      if (typeof part === "string") {
        alert.appendChild(document.createTextNode(part));
      } else {
        const code = document.createElement("code");
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

  // The progress of one upload: redrawn at most once a frame, and every second too, so speed
  // and time left stay true while no bytes move.
  function Progress(upload) {
    this.upload = upload;
    this.samples = [];
    this.frame = 0;
    const self = this;
    this.ticker = window.setInterval(function () {
      if (upload.session && !upload.finishing) {
        self.render();
      }
    }, 1000);
  }

  Progress.prototype.stop = function () {
    window.clearInterval(this.ticker);
  };

  Progress.prototype.render = function () {
    const self = this;
    if (this.frame) {
      return;
    }
    this.frame = window.requestAnimationFrame(function () {
      self.frame = 0;
      self.draw();
    });
  };

  Progress.prototype.draw = function () {
    const upload = this.upload;
    const total = upload.file.size;
    const sent = upload.sentBytes();
    const now = performance.now();
    this.samples.push({t: now, bytes: sent});
    while (this.samples.length > 2 && now - this.samples[0].t > SPEED_WINDOW_MS) {
      this.samples.shift();
    }
    const first = this.samples[0];
    const elapsed = (now - first.t) / 1000;
    const speed = elapsed > 0.2 ? (sent - first.bytes) / elapsed : 0;
    const percent = total ? Math.floor((sent * 100) / total) : 100;
    bar.max = Math.max(total, 1);
    bar.value = sent;
    percentText.textContent = percent + "%";
    let stats = formatBytes(sent) + " of " + formatBytes(total);
    if (sent < total && speed > 0) {
      stats += " · " + formatBytes(speed) + "/s · " + formatDuration((total - sent) / speed) + " left";
    } else if (sent < total && now - first.t >= SPEED_WINDOW_MS) {
      stats += " · waiting for the server…";
    }
    if (upload.resumedBytes) {
      stats += " · " + formatBytes(upload.resumedBytes) + " were already on the server";
    }
    statsText.textContent = stats;
    if (upload.hashedBytes < total) {
      hashText.textContent = "Computing the SHA-256 checksum: " + Math.floor((upload.hashedBytes * 100) / total) + "%";
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

  const PHASES = {
    completing: "All chunks sent. The server is assembling the file and verifying its checksum…",
    assembling: "The server is assembling the file and verifying its checksum…",
  };

  // An upload of ``file`` and the progress drawn for it.
  function newUpload(file) {
    let progress = null;
    const upload = new Upload(client, file, {
      progress: function () { progress.render(); },
      hashed: function (digest) { hashText.textContent = "SHA-256 computed in this browser: " + digest; },
      retry: function (detail) {
        noteText.textContent = "Chunk " + (detail.index + 1) + " failed (" + detail.error.message + "); retrying in " +
          formatDuration(detail.wait / 1000) + " (attempt " + detail.attempt + " of " + detail.maxAttempts + ").";
      },
      retried: function (detail) {
        noteText.textContent = "Chunk " + (detail.index + 1) + " was sent again successfully.";
      },
      phase: function (name) { statsText.textContent = PHASES[name]; },
      stopped: function () { progress.stop(); },
    });
    progress = new Progress(upload);
    return [upload, progress];
  }

  // --- the run ----------------------------------------------------------------------------

  function refreshLists() {
    // The lists are rendered by the server; take them from a fresh copy of this page.
    return fetch(window.location.href, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (!html) {
          return;
        }
        const fresh = new DOMParser().parseFromString(html, "text/html");
        ["upload-sessions", "artifact-list"].forEach(function (id) {
          const replacement = fresh.getElementById(id);
          const existing = document.getElementById(id);
          if (replacement && existing) {
            existing.replaceWith(document.importNode(replacement, true));
          }
        });
      })
      .catch(function () { /* the next page load shows them */ });
  }

  function showFinished(upload, progress, artifact) {
    progress.draw();
    percentText.textContent = "100%";
    statsText.textContent = formatBytes(upload.file.size) + " uploaded.";
    showMessage("success", ["Uploaded " + artifact.file_name + " (" + formatBytes(artifact.size_bytes) +
      "). The server verified its SHA-256: ", {code: artifact.sha256}]);
  }

  function run(file, resumeFrom) {
    const [upload, progress] = newUpload(file);
    current = upload;
    hideResume();
    showMessage(null);
    showProgress(file);
    setBusy(true);
    let artifactId = null;
    const choices = {
      artifact_kind: kindSelect.value,
      version_id: versionSelect && versionSelect.value ? versionSelect.value : null,
      make_current: !!(makeCurrentBox && makeCurrentBox.checked),
    };
    return upload.run(resumeFrom, choices).then(function (finished) {
      if (finished) {
        showFinished(upload, progress, finished.artifact);
        artifactId = finished.session.artifact_id;
      }
    }).catch(function (error) {
      upload.stop();
      if (upload.cancelled) {
        return;
      }
      root.classList.add("is-failed");
      const text = error && error.message ? error.message : String(error);
      const hint = upload.session && upload.session.status === "open" && error.code !== "upload_expired" &&
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
        const row = artifactId && document.getElementById("artifact-" + artifactId);
        if (row) {
          row.classList.add("table-success");
        }
      });
    });
  }

  function cancel() {
    const upload = current;
    if (!upload || upload.cancelled) {
      return;
    }
    upload.cancelled = true;
    upload.stop();
    cancelButton.disabled = true;
    statsText.textContent = "Cancelling…";
    client.abortSession(upload.session).then(function () {
      statsText.textContent = "Upload cancelled.";
      showMessage("secondary", ["The upload of " + upload.file.name + " was cancelled; nothing was kept on the server."]);
    }, function (error) {
      showMessage("danger", ["The upload could not be cancelled: " + error.message]);
    }).then(refreshLists);
  }

  // --- choosing a file ----------------------------------------------------------------------

  function offerResume(file, session) {
    resumable = session;
    const have = (session.received_chunks || []).length;
    const percent = session.total_size ? Math.floor((session.received_bytes * 100) / session.total_size) : 0;
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
    return client.findOpenSession(file).then(function (match) {
      if (match && file === selectedFile && !current) {
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
    const stale = resumable;
    hideResume();
    client.abortSession(stale).then(function () {
      run(selectedFile, null);
    }, function (error) {
      showMessage("danger", ["The open upload could not be discarded: " + error.message]);
      startButton.disabled = false;
    });
  });

  cancelButton.addEventListener("click", cancel);

  root.hidden = false;
}

const configElement = document.getElementById("uploader-config");
const uploaderRoot = document.getElementById("uploader");
// Without any of these the tab keeps working as a list; the uploader stays hidden.
if (configElement && uploaderRoot && supported()) {
  start(uploaderRoot, JSON.parse(configElement.textContent));
}
