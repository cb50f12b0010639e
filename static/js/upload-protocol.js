// The upload protocol of the REST API, spoken with the browser session (CSRF header, no API
// token), with no page in sight: the uploader page (uploader.js) draws what it reports.
//
// Start a session (or take up an open one), PUT the chunks a few at a time with retries and
// exponential backoff per chunk, then complete with the SHA-256 computed here, and poll while
// the server assembles. The hash is computed in file order, slice by slice, while the chunks
// are being sent in any order, so the file is read once for hashing and once for sending and
// never held in memory. When a session is taken up again, the server says which chunks it has
// and only the missing ones are sent; the whole file is hashed again locally.
//
// When the server keeps artifacts in an object store and offers direct transfer, the session
// says "transfer": "direct" and the chunks (the bucket's parts) go straight to the bucket: the
// file is read in order one part at a time, for the whole file's SHA-256 and each missing
// part's own, presigned part URLs bound to those digests are asked for a batch at a time as the
// senders need them, and each part is PUT to its URL with the headers it was issued with (no
// session cookie, no CSRF token: the URL is the authorization). The bucket needs a CORS rule
// that lets this page PUT with those headers.

const MAX_BACKOFF_MS = 30000;
const HASH_SLICE = 4 * 1024 * 1024; // bytes read per hashing step, whatever the chunk size
const MAX_PART_URLS = 100; // part URLs the server hands out per call
const URL_MARGIN_MS = 60000; // a part URL this close to expiring is renewed before it is used
// What an S3-compatible bucket answers when a part's bytes differ from the checksum its URL binds.
const DIGEST_ERRORS = ["BadDigest", "InvalidDigest", "XAmzContentChecksumMismatch", "XAmzContentSHA256Mismatch"];

// An error that carries the server's message (error.message of the API's error body).
export class UploadError extends Error {
  constructor(message, status, code, retryable) {
    super(message);
    this.name = "UploadError";
    this.status = status || 0;
    this.code = code || "";
    this.retryable = !!retryable;
  }
}

const stopped = () => new UploadError("stopped", 0, "stopped");

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

export function apiError(status, data) {
  const error = data && data.error;
  const message = error && error.message ? error.message : fallbackMessage(status);
  const retryable = status === 0 || status === 408 || status === 429 || status >= 500;
  return new UploadError(message, status, error && error.code, retryable);
}

// {code, message} of an S3-style XML error answer, as far as there is one.
function bucketError(text) {
  const code = /<Code>([^<]*)<\/Code>/.exec(text || "");
  const message = /<Message>([^<]*)<\/Message>/.exec(text || "");
  return {code: code ? code[1] : "", message: message ? message[1] : ""};
}

function base64(buffer) {
  return btoa(String.fromCharCode.apply(null, new Uint8Array(buffer)));
}

function hexToBuffer(hex) {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i += 1) {
    bytes[i] = parseInt(hex.substr(i * 2, 2), 16);
  }
  return bytes.buffer;
}

// Items handed from one producer to several consumers: take(max) resolves with up to ``max``
// items once there is one, or with none once the producer ended and nothing is left.
class Feed {
  constructor() {
    this.items = [];
    this.ended = false;
    this.waiters = [];
  }

  push(item) {
    this.items.push(item);
    this.wake();
  }

  end() {
    this.ended = true;
    this.wake();
  }

  wake() {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach(function (resolve) { resolve(); });
  }

  done() {
    return this.ended && !this.items.length;
  }

  take(max) {
    const self = this;
    if (this.items.length || this.ended) {
      return Promise.resolve(this.items.splice(0, max));
    }
    return new Promise(function (resolve) { self.waiters.push(resolve); }).then(function () {
      return self.take(max);
    });
  }
}

export function sleep(ms) {
  return new Promise(function (resolve) { setTimeout(resolve, ms); });
}

// The chunk indexes a session still lacks, in order.
export function missingChunks(session) {
  const received = new Set(session.received_chunks || []);
  const missing = [];
  for (let index = 0; index < session.total_chunks; index += 1) {
    if (!received.has(index)) {
      missing.push(index);
    }
  }
  return missing;
}

// The protocol's calls for one record. ``options``: uploadsUrl and artifactsUrl (the record's
// API collections), csrfToken (a function), createHasher (a function returning an incremental
// SHA-256 with update(buffer) and hex()), and the tuning knobs parallel, maxAttempts,
// backoffMs and pollMs.
export class UploadClient {
  constructor(options) {
    this.uploadsUrl = options.uploadsUrl;
    this.artifactsUrl = options.artifactsUrl;
    this.csrfToken = options.csrfToken;
    this.createHasher = options.createHasher;
    this.parallel = Math.max(1, options.parallel || 3);
    this.maxAttempts = options.maxAttempts || 6; // per chunk, first try included
    this.backoffMs = options.backoffMs || 500; // 0.5 s, 1 s, 2 s, 4 s, 8 s (with jitter)
    this.pollMs = options.pollMs || 1000;
  }

  sessionUrl(id) {
    return this.uploadsUrl + "/" + encodeURIComponent(id);
  }

  backoff(attempt) {
    const base = Math.min(MAX_BACKOFF_MS, this.backoffMs * Math.pow(2, attempt - 1));
    return Math.round(base * (0.75 + Math.random() * 0.5));
  }

  api(method, url, body) {
    const headers = {"Accept": "application/json", "X-CSRFToken": this.csrfToken()};
    const init = {method: method, headers: headers, credentials: "same-origin"};
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (response) {
      if (response.status === 204) {
        return {status: 204, data: null};
      }
      const date = response.headers.get("Date");
      return response.json().catch(function () { return null; }).then(function (data) {
        return {status: response.status, data: data, date: date};
      });
    }, function () {
      throw new UploadError(fallbackMessage(0), 0, "network_error", true);
    });
  }

  // The open session of a file with this name and size, if the server has one. A direct
  // transfer's parts are known from the bucket, which the session's own GET asks.
  findOpenSession(file) {
    const self = this;
    return this.api("GET", this.uploadsUrl).then(function (response) {
      if (response.status !== 200 || !Array.isArray(response.data)) {
        return null;
      }
      const match = response.data.filter(function (session) {
        return session.status === "open" && session.file_name === file.name && session.total_size === file.size;
      })[0] || null;
      if (!match || match.transfer !== "direct") {
        return match;
      }
      return self.api("GET", self.sessionUrl(match.id)).then(function (state) {
        return state.status === 200 && state.data.status === "open" ? state.data : null;
      });
    });
  }

  // Resolves true once the session is gone (404 included: already gone).
  abortSession(session) {
    if (!session) {
      return Promise.resolve(true);
    }
    return this.api("DELETE", this.sessionUrl(session.id)).then(function (response) {
      if (response.status === 204 || response.status === 404) {
        return true;
      }
      throw apiError(response.status, response.data);
    });
  }
}

// One file on its way to the server. ``events`` are called as it goes: progress() whenever
// sentBytes() or hashedBytes moved, hashed(digest), retry({index, attempt, maxAttempts, error,
// wait}) before a chunk is sent again, retried({index}) once it went through,
// phase("completing" | "assembling") while the server puts the file together, and stopped()
// when it stops (cancelled, failed or finished).
export class Upload {
  constructor(client, file, events) {
    this.client = client;
    this.file = file;
    this.events = events || {};
    this.session = null;
    this.stopped = false; // no new work: cancelled, failed or finished
    this.cancelled = false;
    this.finishing = false; // every chunk sent: completing or assembling
    this.requests = [];
    this.feed = null; // direct transfer: hashed parts waiting for their URLs
    this.readyParts = []; // direct transfer: part URLs not used yet
    this.fetchingParts = null; // direct transfer: the pending request for more part URLs
    this.inflight = {}; // chunk index -> bytes of it sent so far
    this.doneBytes = 0; // bytes of chunks the server confirmed
    this.resumedBytes = 0; // already on the server when this run started
    this.hashedBytes = 0;
  }

  emit(name, detail) {
    const handler = this.events[name];
    if (handler) {
      handler(detail);
    }
  }

  stop() {
    this.stopped = true;
    if (this.feed) {
      this.feed.end();
    }
    this.requests.slice().forEach(function (xhr) { xhr.abort(); });
    this.emit("stopped");
  }

  sentBytes() {
    let total = this.doneBytes;
    for (const index of Object.keys(this.inflight)) {
      total += this.inflight[index];
    }
    return Math.min(total, this.file.size);
  }

  // Opens a session (``choices``: artifact_kind, version_id, make_current) or takes up
  // ``resumeFrom``, sends what the server lacks, completes, and resolves with the completed
  // session and the artifact it made; null when cancelled before anything was sent.
  run(resumeFrom, choices) {
    const self = this;
    let digest = null;
    return this.openSession(resumeFrom, choices).then(function (session) {
      self.session = session;
      if (self.cancelled) {
        return self.client.abortSession(session).then(function () { return null; });
      }
      self.doneBytes = self.resumedBytes = session.received_bytes || 0;
      self.emit("progress");
      if (session.transfer === "direct") {
        return self.sendParts(missingChunks(session), true).then(function (hex) {
          digest = hex;
          return self.complete(digest);
        }).then(function (finished) {
          return self.finish(finished, digest);
        });
      }
      const hashing = self.hash().then(function (hex) { digest = hex; });
      return Promise.all([hashing, self.sendChunks(missingChunks(session))]).then(function () {
        return self.complete(digest);
      }).then(function (finished) {
        return self.finish(finished, digest);
      });
    });
  }

  openSession(resumeFrom, choices) {
    const client = this.client;
    if (resumeFrom) {
      return client.api("GET", client.sessionUrl(resumeFrom.id)).then(function (response) {
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
    const body = {
      file_name: this.file.name,
      content_type: this.file.type || "application/octet-stream",
      total_size: this.file.size,
      transfer: "direct", // the server decides: direct only when it has an object store that allows it
      ...choices,
    };
    return client.api("POST", client.uploadsUrl, body).then(function (response) {
      if (response.status !== 201) {
        throw apiError(response.status, response.data);
      }
      return response.data;
    });
  }

  hash() {
    const self = this;
    const hasher = this.client.createHasher();
    const size = this.file.size;
    let offset = 0;

    function step() {
      if (self.stopped) {
        return Promise.reject(stopped());
      }
      if (offset >= size) {
        const digest = hasher.hex();
        self.emit("hashed", digest);
        return Promise.resolve(digest);
      }
      const end = Math.min(size, offset + HASH_SLICE);
      return self.file.slice(offset, end).arrayBuffer().then(function (buffer) {
        hasher.update(buffer);
        offset = end;
        self.hashedBytes = end;
        self.emit("progress");
        return step();
      });
    }

    return step();
  }

  putChunk(index) {
    const self = this;
    const session = this.session;
    const start = index * session.chunk_size;
    const end = Math.min(start + session.chunk_size, this.file.size);
    return new Promise(function (resolve, reject) {
      const xhr = new XMLHttpRequest();
      const forget = function () {
        const at = self.requests.indexOf(xhr);
        if (at >= 0) {
          self.requests.splice(at, 1);
        }
      };
      xhr.open("PUT", self.client.sessionUrl(session.id) + "/chunks/" + index);
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRFToken", self.client.csrfToken());
      xhr.upload.onprogress = function (event) {
        self.inflight[index] = Math.min(event.loaded, end - start);
        self.emit("progress");
      };
      xhr.onload = function () {
        forget();
        let data = null;
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
        reject(stopped());
      };
      self.requests.push(xhr);
      xhr.send(self.file.slice(start, end));
    });
  }

  sendChunk(index, attempt) {
    const self = this;
    const maxAttempts = this.client.maxAttempts;
    attempt = attempt || 1;
    return this.putChunk(index).then(function (receipt) {
      if (attempt > 1) {
        self.emit("retried", {index: index});
      }
      delete self.inflight[index];
      self.doneBytes += receipt.size;
      self.emit("progress");
    }, function (error) {
      delete self.inflight[index];
      self.emit("progress");
      if (self.stopped) {
        throw stopped();
      }
      if (!error.retryable || attempt >= maxAttempts) {
        throw error;
      }
      const wait = self.client.backoff(attempt);
      self.emit("retry", {index: index, attempt: attempt + 1, maxAttempts: maxAttempts, error: error, wait: wait});
      return sleep(wait).then(function () {
        if (self.stopped) {
          throw stopped();
        }
        return self.sendChunk(index, attempt + 1);
      });
    });
  }

  sendChunks(indexes) {
    const self = this;
    const queue = indexes.slice();
    function worker() {
      if (!queue.length || self.stopped) {
        return Promise.resolve();
      }
      return self.sendChunk(queue.shift()).then(worker);
    }
    const workers = [];
    const count = Math.min(this.client.parallel, queue.length); // fixed first: each worker takes from the queue at once
    for (let k = 0; k < count; k += 1) {
      workers.push(worker());
    }
    return Promise.all(workers);
  }

  // --- direct transfer --------------------------------------------------------------------

  // Hashes the file (with ``hashWhole``; resolves with its hex digest) while sending the parts
  // in ``indexes`` straight to the bucket, a few at a time.
  sendParts(indexes, hashWhole) {
    const self = this;
    this.feed = new Feed();
    this.readyParts = [];
    const hashing = this.hashParts(indexes, hashWhole);
    function worker() {
      return self.nextPart().then(function (part) {
        if (!part || self.stopped) {
          return null;
        }
        return self.sendPart(part).then(worker);
      });
    }
    const workers = [];
    const count = Math.min(this.client.parallel, Math.max(1, indexes.length));
    for (let k = 0; k < count; k += 1) {
      workers.push(worker());
    }
    return Promise.all([hashing].concat(workers)).then(function (results) { return results[0]; });
  }

  // Reads the file in order, one part in memory at a time: with ``hashWhole`` every part feeds
  // the whole file's SHA-256, and each part in ``indexes`` gets its own digest and is handed
  // to the senders.
  hashParts(indexes, hashWhole) {
    const self = this;
    const session = this.session;
    const size = this.file.size;
    const wanted = new Set(indexes);
    const hasher = hashWhole ? this.client.createHasher() : null;
    const feed = this.feed;
    let index = 0;

    function step() {
      if (self.stopped) {
        return Promise.reject(stopped());
      }
      while (!hasher && index < session.total_chunks && !wanted.has(index)) {
        index += 1;
      }
      if (index >= session.total_chunks) {
        feed.end();
        if (!hasher) {
          return Promise.resolve(null);
        }
        const digest = hasher.hex();
        self.emit("hashed", digest);
        return Promise.resolve(digest);
      }
      const current = index;
      const start = current * session.chunk_size;
      const end = Math.min(size, start + session.chunk_size);
      index += 1;
      return self.file.slice(start, end).arrayBuffer().then(function (buffer) {
        if (hasher) {
          hasher.update(buffer);
          self.hashedBytes = end;
          self.emit("progress");
        }
        return wanted.has(current) ? self.partDigest(buffer) : null;
      }).then(function (sha256) {
        if (sha256) {
          feed.push({index: current, sha256: sha256});
        }
        return step();
      });
    }

    return step().catch(function (error) {
      feed.end();
      throw error;
    });
  }

  // The part's SHA-256 as base64, as the bucket's x-amz-checksum-sha256 carries it: by Web
  // Crypto, or by the incremental hasher where Web Crypto is missing (a page served over plain
  // HTTP from another host than localhost).
  partDigest(buffer) {
    const subtle = globalThis.crypto && globalThis.crypto.subtle;
    if (subtle) {
      return subtle.digest("SHA-256", buffer).then(base64);
    }
    const hasher = this.client.createHasher();
    hasher.update(buffer);
    return Promise.resolve(base64(hexToBuffer(hasher.hex())));
  }

  // The next part to send with its URL, or null once every part was handed out. URLs are asked
  // for a batch of the parts already hashed at a time, when the senders have none left, so
  // each is used soon after it was issued.
  nextPart() {
    const self = this;
    if (this.stopped) {
      return Promise.reject(stopped());
    }
    if (this.readyParts.length) {
      return Promise.resolve(this.readyParts.shift());
    }
    if (this.feed.done()) {
      return Promise.resolve(null);
    }
    if (!this.fetchingParts) {
      const batch = Math.min(MAX_PART_URLS, Math.max(8, 4 * this.client.parallel));
      this.fetchingParts = this.feed.take(batch).then(function (items) {
        if (self.stopped) {
          throw stopped();
        }
        return items.length ? self.partUrls(items) : [];
      }).then(function (parts) {
        self.fetchingParts = null;
        self.readyParts.push(...parts);
      }, function (error) {
        self.fetchingParts = null;
        throw error;
      });
    }
    return this.fetchingParts.then(function () { return self.nextPart(); });
  }

  // Presigned URLs for ``items`` ({index, sha256}), each with the moment (on this browser's
  // monotonic clock, measured against the server's) after which it is no longer trusted.
  partUrls(items, attempt) {
    const self = this;
    const client = this.client;
    attempt = attempt || 1;
    return client.api("POST", client.sessionUrl(this.session.id) + "/parts", {parts: items}).then(function (response) {
      if (response.status !== 200 || !response.data || !Array.isArray(response.data.parts)) {
        throw apiError(response.status, response.data);
      }
      return response;
    }).then(function (response) {
      const received = performance.now();
      const serverNow = Date.parse(response.date) || Date.now();
      const digests = {};
      items.forEach(function (item) { digests[item.index] = item.sha256; });
      return response.data.parts.map(function (part) {
        const ttl = Date.parse(part.expires_at) - serverNow;
        return {index: part.index, sha256: digests[part.index], url: part.url, method: part.method || "PUT",
                headers: part.headers || {}, deadline: received + (isFinite(ttl) ? ttl : 2 * URL_MARGIN_MS)};
      });
    }, function (error) {
      if (self.stopped || !error.retryable || attempt >= client.maxAttempts) {
        throw error;
      }
      return sleep(client.backoff(attempt)).then(function () { return self.partUrls(items, attempt + 1); });
    });
  }

  putPart(part) {
    const self = this;
    const session = this.session;
    const index = part.index;
    const start = index * session.chunk_size;
    const end = Math.min(start + session.chunk_size, this.file.size);
    return new Promise(function (resolve, reject) {
      const xhr = new XMLHttpRequest();
      const forget = function () {
        const at = self.requests.indexOf(xhr);
        if (at >= 0) {
          self.requests.splice(at, 1);
        }
      };
      xhr.open(part.method, part.url);
      Object.keys(part.headers).forEach(function (name) {
        if (name.toLowerCase() !== "content-length") { // the browser sets it from the body
          xhr.setRequestHeader(name, part.headers[name]);
        }
      });
      xhr.upload.onprogress = function (event) {
        self.inflight[index] = Math.min(event.loaded, end - start);
        self.emit("progress");
      };
      xhr.onload = function () {
        forget();
        if (xhr.status >= 200 && xhr.status < 300) {
          resolve(end - start);
          return;
        }
        reject(self.partError(part, xhr.status, bucketError(xhr.responseText)));
      };
      xhr.onerror = function () {
        forget();
        reject(new UploadError("The connection to the object store failed while sending chunk " + (index + 1) +
          ". If this keeps happening, the bucket may lack the CORS rule that lets this page send to it.", 0,
          "network_error", true));
      };
      xhr.ontimeout = xhr.onerror;
      xhr.onabort = function () {
        forget();
        reject(stopped());
      };
      self.requests.push(xhr);
      xhr.send(self.file.slice(start, end));
    });
  }

  partError(part, status, said) {
    if (DIGEST_ERRORS.indexOf(said.code) >= 0) {
      return new UploadError("The file changed while it was being uploaded: the object store refused chunk " +
        (part.index + 1) + " because its bytes differ from the ones hashed. Choose the file again.", status,
        "file_changed");
    }
    if (status === 403 && (/expired/i.test(said.message) || performance.now() >= part.deadline - URL_MARGIN_MS)) {
      return new UploadError("The link for chunk " + (part.index + 1) + " expired.", status, "url_expired", true);
    }
    if (said.code === "NoSuchUpload") {
      return new UploadError("The object store no longer holds this upload; choose the file again to start over.",
        status, "upload_gone");
    }
    const detail = [status, said.code].filter(Boolean).join(" ") + (said.message ? ": " + said.message : "");
    return new UploadError("The object store refused chunk " + (part.index + 1) + " (" + detail + ").", status,
      "storage_refused", status === 408 || status === 429 || status >= 500);
  }

  renewPart(part) {
    return this.partUrls([{index: part.index, sha256: part.sha256}]).then(function (parts) { return parts[0]; });
  }

  sendPart(part, attempt) {
    const self = this;
    const maxAttempts = this.client.maxAttempts;
    attempt = attempt || 1;
    const fresh = performance.now() < part.deadline - URL_MARGIN_MS ? Promise.resolve(part) : this.renewPart(part);
    return fresh.then(function (current) {
      part = current;
      return self.putPart(part);
    }).then(function (size) {
      if (attempt > 1) {
        self.emit("retried", {index: part.index});
      }
      delete self.inflight[part.index];
      self.doneBytes += size;
      self.emit("progress");
    }, function (error) {
      delete self.inflight[part.index];
      self.emit("progress");
      if (self.stopped) {
        throw stopped();
      }
      if (!error.retryable || attempt >= maxAttempts) {
        throw error;
      }
      const expired = error.code === "url_expired";
      if (expired) {
        part.deadline = 0; // renewed before the next try
      }
      const wait = expired ? 0 : self.client.backoff(attempt);
      self.emit("retry", {index: part.index, attempt: attempt + 1, maxAttempts: maxAttempts, error: error, wait: wait});
      return sleep(wait).then(function () {
        if (self.stopped) {
          throw stopped();
        }
        return self.sendPart(part, attempt + 1);
      });
    });
  }

  pollSession() {
    const self = this;
    const client = this.client;
    let failures = 0;
    function poll() {
      return sleep(client.pollMs).then(function () {
        if (self.stopped) {
          throw stopped();
        }
        return client.api("GET", client.sessionUrl(self.session.id));
      }).then(function (response) {
        failures = 0;
        if (response.status !== 200) {
          throw apiError(response.status, response.data);
        }
        const session = response.data;
        if (session.status === "assembling") {
          return poll();
        }
        if (session.status === "open" && !session.error) {
          return poll(); // not claimed yet
        }
        return session;
      }, function (error) {
        failures += 1;
        if (error.retryable && failures < client.maxAttempts) {
          return poll();
        }
        throw error;
      });
    }
    return poll();
  }

  complete(digest, refilled) {
    const self = this;
    const client = this.client;
    const url = client.sessionUrl(this.session.id);
    this.finishing = true;
    this.emit("phase", "completing");
    return client.api("POST", url + "/complete", {expected_sha256: digest}).then(function (response) {
      const error = response.data && response.data.error;
      if (response.status === 400 && error && error.code === "missing_chunks" && !refilled) {
        // The server lacks chunks it should have (a lost write): send those once more.
        return client.api("GET", url).then(function (state) {
          if (state.status !== 200) {
            throw apiError(state.status, state.data);
          }
          self.finishing = false;
          if (state.data.transfer === "direct") {
            return self.sendParts(missingChunks(state.data), false);
          }
          return self.sendChunks(missingChunks(state.data));
        }).then(function () {
          return self.complete(digest, true);
        });
      }
      if (response.status === 202) {
        self.emit("phase", "assembling");
        return self.pollSession();
      }
      if (response.status === 200 || response.status === 201) {
        return response.data;
      }
      throw apiError(response.status, response.data);
    });
  }

  // A completed session and its artifact (as the API describes it, or as far as known here
  // when that read fails); any other end is an error.
  finish(session, digest) {
    const self = this;
    if (session.status !== "completed") {
      const error = session.error || {};
      throw new UploadError(error.message || "The upload ended as " + session.status + ".", 0, error.code);
    }
    const url = this.client.artifactsUrl + "/" + encodeURIComponent(session.artifact_id);
    return this.client.api("GET", url).then(function (response) {
      self.doneBytes = self.file.size;
      self.inflight = {};
      const artifact = response.status === 200 ? response.data : {file_name: self.file.name, sha256: digest,
                                                                   size_bytes: self.file.size};
      return {session: session, artifact: artifact};
    });
  }
}
