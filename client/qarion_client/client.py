"""The SDK: a thin, retrying wrapper over the public REST API (API.md)."""

from __future__ import annotations

import base64
import collections
import email.utils
import hashlib
import os
import queue
import re
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx

from .errors import (AuthError, ChecksumError, NetworkError, NotFoundError, QarionError, ServerError,
                     UsageError)

API = "/api/v1.0"
MiB = 1024 * 1024
RETRY_STATUSES = {500, 502, 503, 504}
PAGE_LIMIT = 10_000  # pages followed at most in a list; a guard, never reached in practice
TRANSFERS = ("direct", "server")
MAX_PART_URLS = 100  # part URLs the server hands out per call (API.md)
CHECKSUM_CODES = ("checksum_mismatch", "chunk_digest_mismatch", "part_checksum_mismatch")
URL_MARGIN = 60.0  # seconds before a part URL expires when it is no longer used but renewed
# What an S3-compatible bucket answers when a part's bytes differ from the checksum its URL binds.
DIGEST_ERRORS = ("BadDigest", "InvalidDigest", "XAmzContentChecksumMismatch", "XAmzContentSHA256Mismatch")


def _b64_sha256(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


def _digest_from_header(value: str | None) -> str | None:
    """The hex sha-256 named in a ``Repr-Digest`` header (``sha-256=:<base64>:``), if any."""
    for part in (value or "").split(","):
        name, _, rest = part.strip().partition("=")
        if name.strip().lower() == "sha-256" and rest.startswith(":") and rest.endswith(":"):
            try:
                return base64.b64decode(rest[1:-1]).hex()
            except ValueError:
                return None
    return None


class _Progress:
    """Bytes done of one transfer, drawn as a bar on stderr and/or reported to a callback.
    Safe to update from several threads, and by a negative amount when a part that was partly
    sent has to be sent again."""

    def __init__(self, total: int, initial: int, description: str, bar: bool,
                 callback: Callable[[int, int], None] | None):
        self.total, self.done = total, initial
        self.callback = callback
        self.lock = threading.Lock()
        self.bar = None
        if bar:
            from tqdm import tqdm
            self.bar = tqdm(total=total, initial=initial, unit="B", unit_scale=True, unit_divisor=1024,
                            desc=description, dynamic_ncols=True, leave=True)
        if callback:
            callback(initial, total)

    def update(self, n: int) -> None:
        if not n:
            return
        with self.lock:
            self.done += n
            if self.bar is not None:
                self.bar.update(n)
            if self.callback:
                self.callback(self.done, self.total)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class Client:
    """``Client(url, token)``: every method raises a :class:`QarionError` subclass on failure.

    ``retries`` bounds how often a request is repeated after a network error or a 5xx answer,
    with exponential backoff starting at ``backoff`` seconds. ``progress`` turns on a progress
    bar on stderr for uploads and downloads; ``on_progress(done_bytes, total_bytes)``, when
    given, is called as they move (from the sending threads)."""

    def __init__(self, url: str, token: str, *, timeout: float = 120.0, retries: int = 5, backoff: float = 0.5,
                 progress: bool = False, on_progress: Callable[[int, int], None] | None = None):
        if not url:
            raise UsageError("No server URL: pass --url, set QARION_URL or run `qarion login`.")
        if not token:
            raise UsageError("No API token: set QARION_TOKEN or run `qarion login`.")
        self.url = url.rstrip("/")
        self.token = token
        self.retries = max(0, retries)
        self.backoff = backoff
        self.progress = progress
        self.on_progress = on_progress
        self._http = httpx.Client(base_url=self.url, timeout=httpx.Timeout(timeout, connect=15.0),
                                  headers={"Authorization": f"Bearer {token}", "User-Agent": "qarion-client/0.1"},
                                  limits=httpx.Limits(max_connections=64, max_keepalive_connections=32))
        # Presigned part URLs carry their own authorization: the API token never goes to the bucket.
        self._bucket = httpx.Client(timeout=httpx.Timeout(timeout, connect=15.0),
                                    headers={"User-Agent": "qarion-client/0.1"}, follow_redirects=False,
                                    limits=httpx.Limits(max_connections=64, max_keepalive_connections=32))

    def close(self) -> None:
        self._http.close()
        self._bucket.close()

    def _progress(self, total: int, initial: int, description: str) -> _Progress:
        return _Progress(total, initial, description, self.progress, self.on_progress)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- transport ---------------------------------------------------------------------

    def _sleep_before_retry(self, attempt: int) -> None:
        time.sleep(min(self.backoff * (2 ** attempt), 10.0))

    def request(self, method: str, path: str, *, json: Any = None, params: dict | None = None,
                content: bytes | None = None, headers: dict | None = None, expect: tuple = (200,)) -> httpx.Response:
        """One API call with retries on network errors and 5xx; raises on any status not in ``expect``."""
        url = path if path.startswith("http") else API + path
        last_error: Exception | None = None
        for attempt in range(self.retries + 1):
            try:
                response = self._http.request(method, url, json=json, params=params, content=content, headers=headers)
            except httpx.TransportError as exc:
                last_error = exc
                if attempt < self.retries:
                    self._sleep_before_retry(attempt)
                continue
            if response.status_code in RETRY_STATUSES and attempt < self.retries:
                self._sleep_before_retry(attempt)
                continue
            if response.status_code in expect:
                return response
            raise error_for(response)
        raise NetworkError(f"Could not reach {self.url} after {self.retries + 1} attempts: {last_error}")

    def _json(self, method: str, path: str, **kwargs) -> Any:
        return self.request(method, path, **kwargs).json()

    def _pages(self, path: str, params: dict | None = None) -> Iterator[dict]:
        params = {**(params or {}), "size": 100}
        url: str | None = path
        for _ in range(PAGE_LIMIT):
            if url is None:
                return
            body = self._json("GET", url, params=params)
            if isinstance(body, list):
                yield from body
                return
            yield from body.get("results", [])
            url, params = body.get("next"), None
        raise ServerError("The server's list did not end.")

    # --- records, versions, artifacts --------------------------------------------------

    def models(self, space: str | None = None, org: str | None = None, **filters) -> list[dict]:
        """Model records of a space (``space=slug``) or across an organization (``org=slug``).
        Filters are the API's names (``model_family``, ``risk_classification``, ``search`` ...);
        a list value is sent comma-separated."""
        if bool(space) == bool(org):
            raise UsageError("Name exactly one of a space (--space) or an organization (--org).")
        path = (f"/catalog/spaces/{space}/model-repository/models" if space
                else f"/organizations/{org}/model-repository/models")
        params = {k: ",".join(v) if isinstance(v, (list, tuple)) else v for k, v in filters.items() if v not in (None, "")}
        return list(self._pages(path, params))

    def model(self, product_id: str) -> dict:
        return self._json("GET", f"/catalog/products/{product_id}/model-repository")

    def versions(self, product_id: str) -> list[dict]:
        return list(self._pages(f"/catalog/products/{product_id}/model-versions"))

    def version(self, product_id: str, label: str, *, create: bool = False) -> dict:
        """The version labelled ``label``; created (as a draft) when missing and ``create`` is set."""
        for version in self.versions(product_id):
            if version.get("label") == label:
                return version
        if create:
            return self._json("POST", f"/catalog/products/{product_id}/model-versions", json={"label": label},
                              expect=(201,))
        raise NotFoundError(f"Version {label!r} does not exist in product {product_id}; "
                            "create it first or pass --create-version.", code="not_found", status=404)

    def artifacts(self, product_id: str, version_id: str | None = None) -> list[dict]:
        params = {"version_id": version_id} if version_id else None
        return list(self._pages(f"/catalog/products/{product_id}/model-artifacts", params))

    def artifact(self, product_id: str, artifact_id: str) -> dict:
        return self._json("GET", f"/catalog/products/{product_id}/model-artifacts/{artifact_id}")

    def make_current(self, product_id: str, artifact_id: str) -> dict:
        return self._json("POST", f"/catalog/products/{product_id}/model-artifacts/{artifact_id}/make-current")

    # --- upload ------------------------------------------------------------------------

    def upload(self, product_id: str, path: str | os.PathLike, *, kind: str, version: str | None = None,
               make_current: bool = False, parallel: int = 4, content_type: str = "application/octet-stream",
               create_version: bool = False, resume: bool = True, assembly_timeout: float | None = None,
               transfer: str = "direct") -> dict:
        """Upload ``path`` as an artifact of ``kind`` and return the artifact.

        Resumes an open session of the same file name, size, kind and version when there is
        one, sending only the chunks the server lacks. Chunks go out ``parallel`` at a time,
        each with its ``Content-Digest``; the whole file's sha256 is computed while reading and
        checked by the server when completing.

        ``transfer="direct"`` asks the server to let the bytes go straight to its object store;
        when it agrees, each part is PUT to a presigned URL bound to the part's sha-256, and
        otherwise the chunks go through the server as with ``transfer="server"``."""
        path = Path(path)
        if not path.is_file():
            raise UsageError(f"{path} is not a readable file.")
        size = path.stat().st_size
        if size == 0:
            raise UsageError(f"{path} is empty; the server does not accept empty artifacts.")
        if parallel < 1:
            raise UsageError("--parallel must be at least 1.")
        if transfer not in TRANSFERS:
            raise UsageError(f"Unknown transfer {transfer!r}: use one of {', '.join(TRANSFERS)}.")
        version_id = self.version(product_id, version, create=create_version)["id"] if version else None
        base = f"/catalog/products/{product_id}/model-artifacts/uploads"
        session = self._open_session(base, path.name, size, kind, version_id, transfer) if resume else None
        resumed = session is not None
        for _round in range(3):
            if session is None:
                body = {"file_name": path.name, "content_type": content_type, "total_size": size,
                        "artifact_kind": kind, "make_current": make_current}
                if version_id:
                    body["version_id"] = version_id
                session = self._start_session(base, body, transfer)
            try:
                done = self._send_and_complete(base, session, path, size, parallel, assembly_timeout)
            except ChecksumError:
                if not resumed:
                    raise
                # The open session held chunks of another file with the same name and size.
                self.request("DELETE", f"{base}/{session['id']}", expect=(204, 404))
                session, resumed = None, False
                continue
            except QarionError as exc:
                if exc.code == "upload_expired":
                    session, resumed = None, False
                    continue
                raise
            artifact = done.get("artifact") or self.artifact(product_id, done["artifact_id"])
            if make_current and not artifact.get("is_current"):
                artifact = self.make_current(product_id, artifact["id"])
            return artifact
        raise ServerError("The upload could not be completed; try again.")

    def _start_session(self, base: str, body: dict, transfer: str) -> dict:
        if transfer == "server":
            return self._json("POST", base, json=body, expect=(201,))
        response = self.request("POST", base, json={**body, "transfer": transfer}, expect=(201, 400))
        if response.status_code == 400 and "transfer" in ((response.json().get("error") or {}).get("details") or {}):
            # A server from before direct transfer refuses the field it does not know.
            return self._json("POST", base, json=body, expect=(201,))
        if response.status_code == 400:
            raise error_for(response)
        return response.json()

    def _open_session(self, base: str, name: str, size: int, kind: str, version_id: str | None,
                      transfer: str = "direct") -> dict | None:
        candidates = [s for s in self._json("GET", base)
                      if s.get("status") == "open" and s.get("file_name") == name and s.get("total_size") == size
                      and s.get("artifact_kind") == kind and (s.get("version_id") or None) == version_id
                      and (transfer == "direct" or s.get("transfer", "server") == "server")]
        if not candidates:
            return None
        return max(candidates, key=lambda s: (len(s.get("received_chunks") or []), s.get("created_at") or ""))

    def _send_and_complete(self, base: str, session: dict, path: Path, size: int, parallel: int,
                           assembly_timeout: float | None) -> dict:
        session_url = f"{base}/{session['id']}"
        session = self._json("GET", session_url)  # fresh state: which chunks the server has
        if session.get("status") == "expired":
            raise QarionError("The upload session expired.", code="upload_expired", status=410)
        sha256 = self._send(session_url, session, path, size, parallel)
        for _attempt in range(3):
            response = self.request("POST", f"{session_url}/complete", json={"expected_sha256": sha256},
                                    expect=(200, 201, 202, 400))
            body = response.json()
            if response.status_code == 400:
                error = body.get("error", {})
                if error.get("code") == "missing_chunks":
                    session = self._json("GET", session_url)
                    self._send(session_url, session, path, size, parallel, whole_sha256=sha256)
                    continue
                raise error_for(response)
            if body.get("status") == "completed":
                return body
            return self._wait_for_assembly(session_url, size, assembly_timeout)
        raise ServerError("The server kept reporting missing chunks; try the upload again.")

    def _wait_for_assembly(self, session_url: str, size: int, timeout: float | None) -> dict:
        deadline = time.monotonic() + (timeout if timeout is not None else max(600.0, size / (20 * MiB)))
        delay = 0.1
        while time.monotonic() < deadline:
            body = self._json("GET", session_url)
            status = body.get("status")
            if status == "completed":
                return body
            error = body.get("error") or {}
            if status == "failed" or (status == "open" and error):
                cls = ChecksumError if error.get("code") in CHECKSUM_CODES else ServerError
                raise cls(error.get("message") or "The upload could not be assembled.", code=error.get("code", ""),
                          details=error.get("details"))
            if status == "expired":
                raise QarionError("The upload session expired.", code="upload_expired", status=410)
            time.sleep(delay)
            delay = min(delay * 1.5, 2.0)
        raise ServerError("The server did not finish assembling the upload in time; "
                          "run the same command again later to pick it up.")

    def _send(self, session_url: str, session: dict, path: Path, size: int, parallel: int,
              whole_sha256: str | None = None) -> str:
        """Send what the session lacks the way the server chose for it; returns the file's sha256."""
        send = self._send_parts if session.get("transfer") == "direct" else self._send_chunks
        return send(session_url, session, path, size, parallel, whole_sha256=whole_sha256)

    def _send_chunks(self, session_url: str, session: dict, path: Path, size: int, parallel: int,
                     whole_sha256: str | None = None) -> str:
        """Read the file once in order (hashing it) and PUT the chunks the server lacks,
        ``parallel`` at a time. Returns the file's sha256."""
        chunk_size, total = int(session["chunk_size"]), int(session["total_chunks"])
        received = set(session.get("received_chunks") or [])
        missing = [i for i in range(total) if i not in received]
        have = sum(min(chunk_size, size - i * chunk_size) for i in received)
        bar = self._progress(size, have, path.name)
        work: queue.Queue = queue.Queue(maxsize=parallel)
        failed: list[BaseException] = []
        stop = threading.Event()
        lock = threading.Lock()

        def sender() -> None:
            while True:
                item = work.get()
                if item is None:
                    return
                if stop.is_set():
                    continue
                index, data = item
                try:
                    self.request("PUT", f"{session_url}/chunks/{index}", content=data, headers={
                        "Content-Type": "application/octet-stream",
                        "Content-Digest": f"sha-256=:{base64.b64encode(hashlib.sha256(data).digest()).decode()}:",
                    })
                    with lock:
                        bar.update(len(data))
                except BaseException as exc:  # reported by the reader below
                    failed.append(exc)
                    stop.set()

        threads = [threading.Thread(target=sender, name=f"qarion-chunk-{k}", daemon=True)
                   for k in range(min(parallel, max(1, len(missing))))]
        for thread in threads:
            thread.start()
        digest = hashlib.sha256()
        try:
            with open(path, "rb") as f:
                for index in range(total):
                    if stop.is_set():
                        break
                    length = min(chunk_size, size - index * chunk_size)
                    if index in received and whole_sha256 is not None:
                        continue
                    if index in received:
                        f.seek(index * chunk_size)
                        _hash_range(f, length, digest)
                        continue
                    f.seek(index * chunk_size)
                    data = f.read(length)
                    if len(data) != length:
                        raise UsageError(f"{path} changed while it was being uploaded.")
                    if whole_sha256 is None:
                        digest.update(data)
                    while not stop.is_set():
                        try:
                            work.put((index, data), timeout=0.2)
                            break
                        except queue.Full:
                            continue
        except BaseException:
            stop.set()
            raise
        finally:
            for _ in threads:
                work.put(None)
            for thread in threads:
                thread.join()
            bar.close()
        if failed:
            raise failed[0]
        return whole_sha256 or digest.hexdigest()

    def _send_parts(self, session_url: str, session: dict, path: Path, size: int, parallel: int,
                    whole_sha256: str | None = None) -> str:
        """Direct transfer: read the file once in order, hashing it and each part the bucket
        lacks, while ``parallel`` senders PUT those parts straight to the bucket, each streamed
        from the file. Part URLs are asked for a batch at a time, as the senders need them, so
        none waits long enough to expire. Returns the file's sha256."""
        chunk_size, total = int(session["chunk_size"]), int(session["total_chunks"])
        received = set(session.get("received_chunks") or [])
        missing = [i for i in range(total) if i not in received]
        have = sum(min(chunk_size, size - i * chunk_size) for i in received)
        bar = self._progress(size, have, path.name)
        hashed: queue.Queue = queue.Queue()  # (index, base64 sha-256) of the parts to send, in order; None ends
        failed: list[BaseException] = []
        stop = threading.Event()
        urls = _PartUrls(self, session_url, hashed, stop, batch=min(MAX_PART_URLS, max(8, 4 * parallel)))

        def sender() -> None:
            try:
                with open(path, "rb") as f:
                    while not stop.is_set():
                        part = urls.next()
                        if part is None:
                            return
                        self._put_part(urls, part, f, path, chunk_size, size, bar, stop)
            except BaseException as exc:  # reported by the reader below
                failed.append(exc)
                stop.set()

        threads = [threading.Thread(target=sender, name=f"qarion-part-{k}", daemon=True)
                   for k in range(min(parallel, max(1, len(missing))))]
        for thread in threads:
            thread.start()
        digest = hashlib.sha256()
        try:
            with open(path, "rb") as f:
                for index in range(total):
                    if stop.is_set():
                        break
                    wanted = index not in received
                    if not wanted and whole_sha256 is not None:
                        continue
                    part_digest = hashlib.sha256() if wanted else None
                    f.seek(index * chunk_size)
                    left = min(chunk_size, size - index * chunk_size)
                    while left:
                        piece = f.read(min(8 * MiB, left))
                        if not piece:
                            raise UsageError(f"{path} changed while it was being uploaded.")
                        if whole_sha256 is None:
                            digest.update(piece)
                        if part_digest is not None:
                            part_digest.update(piece)
                        left -= len(piece)
                    if part_digest is not None:
                        hashed.put((index, base64.b64encode(part_digest.digest()).decode()))
        except BaseException:
            stop.set()
            raise
        finally:
            hashed.put(None)
            for thread in threads:
                thread.join()
            bar.close()
        if failed:
            raise failed[0]
        return whole_sha256 or digest.hexdigest()

    def _put_part(self, urls: "_PartUrls", part: "_PartUrl", f, path: Path, chunk_size: int, size: int,
                  bar: _Progress, stop: threading.Event) -> None:
        """PUT one part to the bucket, streamed from ``f``, with the headers its URL was issued
        with; a network error or a 5xx is retried with backoff, and an expired URL is renewed."""
        offset = part.index * chunk_size
        length = min(chunk_size, size - offset)
        sent = 0

        def body() -> Iterator[bytes]:
            nonlocal sent
            f.seek(offset)
            left = length
            while left:
                piece = f.read(min(MiB, left))
                if not piece:
                    raise UsageError(f"{path} changed while it was being uploaded.")
                left -= len(piece)
                sent += len(piece)
                bar.update(len(piece))
                yield piece

        last_error, server_failed = "", False
        for attempt in range(self.retries + 1):
            if stop.is_set():
                return
            if part.expires_soon():
                part = urls.renew(part)
            headers = httpx.Headers(part.headers)
            headers.setdefault("Content-Length", str(length))
            sent = 0
            try:
                response = self._bucket.request(part.method, part.url, content=body(), headers=headers)
            except httpx.TransportError as exc:
                bar.update(-sent)
                last_error, server_failed = str(exc) or type(exc).__name__, False
                if attempt < self.retries:
                    self._sleep_before_retry(attempt)
                continue
            if 200 <= response.status_code < 300:
                return
            bar.update(-sent)
            code, message = _bucket_error(response)
            last_error = f"{response.status_code} {code or response.reason_phrase}: {message}".rstrip(": ")
            if response.status_code in RETRY_STATUSES or response.status_code == 429:
                server_failed = True
                if attempt < self.retries:
                    self._sleep_before_retry(attempt)
                continue
            if response.status_code == 403 and ("expired" in message.lower() or part.expires_soon()):
                part = urls.renew(part)
                continue
            if code in DIGEST_ERRORS:
                raise UsageError(f"{path} changed while it was being uploaded: the object store refused part "
                                 f"{part.index} because its bytes differ from the ones hashed.", code="file_changed")
            if code == "NoSuchUpload":
                state = self._json("GET", urls.session_url)
                if state.get("status") == "expired":
                    raise QarionError("The upload session expired.", code="upload_expired", status=410)
                raise ServerError(f"The upload session is {state.get('status')}; its parts can no longer be sent.",
                                  code="upload_not_open", status=409)
            raise ServerError(f"The object store refused part {part.index} ({last_error}). If this persists, "
                              "an operator should check the bucket; `--transfer server` sends the bytes through "
                              "the server instead.", code="storage_refused", status=response.status_code)
        cls = ServerError if server_failed else NetworkError
        raise cls(f"Could not send part {part.index} to the object store at {httpx.URL(part.url).host} after "
                  f"{self.retries + 1} attempts ({last_error}). Run the same command again to resume.")

    # --- download ----------------------------------------------------------------------

    def download(self, product_id: str, artifact_id: str, output: str | os.PathLike | None = None) -> Path:
        """Download an artifact to ``output`` (a file path, or a directory for the artifact's own
        name; default: the current directory). The bytes go to ``<output>.part`` first, which a
        later call resumes with a Range request; the sha256 is checked before the file is moved
        into place, and a mismatch deletes the partial file and raises :class:`ChecksumError`."""
        meta = self.artifact(product_id, artifact_id)
        target = Path(output) if output else Path.cwd()
        if target.is_dir() or (output and str(output).endswith(os.sep)):
            target = target / meta["file_name"]
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".part")
        url = f"/catalog/products/{product_id}/model-artifacts/{artifact_id}/download"
        expected = meta.get("sha256")
        size = meta.get("size_bytes")
        digest = hashlib.sha256()
        if part.exists() and size is not None and part.stat().st_size >= size:
            part.unlink()
        have = part.stat().st_size if part.exists() else 0
        if have:
            with open(part, "rb") as f:
                _hash_range(f, have, digest)
        bar = self._progress(size or 0, have, target.name)
        server_digest = None
        try:
            for attempt in range(self.retries + 1):
                headers = {"Accept": "*/*"}
                if have:
                    headers["Range"] = f"bytes={have}-"
                    if expected:
                        headers["If-Range"] = f'"{expected}"'
                try:
                    with self._http.stream("GET", API + url, headers=headers, follow_redirects=True) as response:
                        if response.status_code in RETRY_STATUSES and attempt < self.retries:
                            self._sleep_before_retry(attempt)
                            continue
                        if response.status_code not in (200, 206):
                            response.read()
                            raise error_for(response)
                        server_digest = _digest_from_header(response.headers.get("Repr-Digest")) or server_digest
                        if response.status_code == 200 and have:
                            have, digest = 0, hashlib.sha256()  # the server sent everything again
                        mode = "ab" if have else "wb"
                        with open(part, mode) as f:
                            for piece in response.iter_bytes(MiB):
                                f.write(piece)
                                digest.update(piece)
                                have += len(piece)
                                bar.update(len(piece))
                    break
                except httpx.TransportError as exc:
                    if attempt >= self.retries:
                        raise NetworkError(f"Download from {self.url} failed after {self.retries + 1} attempts: {exc}"
                                           " Run the same command again to resume.") from exc
                    self._sleep_before_retry(attempt)
        finally:
            bar.close()
        actual = digest.hexdigest()
        wanted = expected or server_digest
        if (wanted and actual != wanted) or (server_digest and actual != server_digest):
            part.unlink(missing_ok=True)
            raise ChecksumError(f"Checksum mismatch for {target.name}: expected sha256 {wanted or server_digest}, "
                                f"got {actual}. The partial file was deleted.", code="checksum_mismatch",
                                details={"expected": wanted, "actual": actual})
        os.replace(part, target)
        return target

    def pull_version(self, product_id: str, label: str, directory: str | os.PathLike) -> list[Path]:
        """Download every active artifact of version ``label`` into ``directory``."""
        version = self.version(product_id, label)
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        paths = [self.download(product_id, a["id"], directory / a["file_name"])
                 for a in self.artifacts(product_id, version_id=version["id"])]
        signature = version.get("signature")
        if signature:
            import json as _json
            sig_path = directory / f"{label}.signature.json"
            sig_path.write_text(_json.dumps(signature, indent=2))
            paths.append(sig_path)
        return paths


class _PartUrl:
    """A presigned part URL and when to stop trusting it (on this machine's monotonic clock)."""

    def __init__(self, index: int, sha256: str, answer: dict, ttl: float):
        self.index, self.sha256 = index, sha256
        self.url, self.method = answer["url"], answer.get("method") or "PUT"
        self.headers = dict(answer.get("headers") or {})
        self.deadline = time.monotonic() + ttl

    def expires_soon(self) -> bool:
        return time.monotonic() >= self.deadline - URL_MARGIN


class _PartUrls:
    """Part URLs for the senders of a direct transfer: asked for in batches of the parts already
    hashed, when a sender has none left, so each is used soon after it was issued."""

    def __init__(self, client: Client, session_url: str, hashed: queue.Queue, stop: threading.Event, batch: int):
        self.client, self.session_url, self.hashed, self.stop, self.batch = client, session_url, hashed, stop, batch
        self.lock = threading.Lock()
        self.ready: collections.deque = collections.deque()
        self.ended = False

    def next(self) -> _PartUrl | None:
        """The next part to send, or None once every part was handed out (or the transfer stopped)."""
        with self.lock:
            if self.ready:
                return self.ready.popleft()
            wanted: list[tuple[int, str]] = []
            while not wanted and not self.ended:
                try:
                    item = self.hashed.get(timeout=0.2)
                except queue.Empty:
                    if self.stop.is_set():
                        return None
                    continue
                if item is None:
                    self.ended = True
                else:
                    wanted.append(item)
            while wanted and len(wanted) < self.batch and not self.ended:
                try:
                    item = self.hashed.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self.ended = True
                else:
                    wanted.append(item)
            if not wanted:
                return None
            self.ready.extend(self.fetch(wanted))
            return self.ready.popleft()

    def renew(self, part: _PartUrl) -> _PartUrl:
        return self.fetch([(part.index, part.sha256)])[0]

    def fetch(self, wanted: list[tuple[int, str]]) -> list[_PartUrl]:
        response = self.client.request("POST", f"{self.session_url}/parts",
                                       json={"parts": [{"index": i, "sha256": h} for i, h in wanted]})
        ttl = _seconds_left(response)
        given = {p["index"]: p for p in response.json().get("parts", [])}
        sha = dict(wanted)
        missing = [i for i, _ in wanted if i not in given]
        if missing:
            raise ServerError(f"The server handed out no URL for part {missing[0]}; try again.")
        return [_PartUrl(i, sha[i], given[i], ttl.get(i, 0.0)) for i, _ in wanted]


def _seconds_left(response: httpx.Response) -> dict[int, float]:
    """How long each part URL of a parts answer stays valid, measured against the server's
    clock (its Date header) so that this machine's clock may be off."""
    now = datetime.now(timezone.utc)
    served = response.headers.get("Date")
    if served:
        try:
            now = email.utils.parsedate_to_datetime(served)
        except (TypeError, ValueError):
            pass
    left = {}
    for part in response.json().get("parts", []):
        try:
            expires = datetime.fromisoformat(str(part.get("expires_at")).replace("Z", "+00:00"))
            left[part["index"]] = max(0.0, (expires - now).total_seconds())
        except (KeyError, TypeError, ValueError):
            left[part.get("index")] = URL_MARGIN + 60.0  # unknown: trusted for a minute
    return left


def _bucket_error(response: httpx.Response) -> tuple[str, str]:
    """(code, message) of an S3-style XML error answer, as far as there is one."""
    try:
        text = response.text[:4000]
    except (UnicodeDecodeError, httpx.ResponseNotRead):
        return "", ""
    code = re.search(r"<Code>([^<]*)</Code>", text)
    message = re.search(r"<Message>([^<]*)</Message>", text)
    return (code.group(1) if code else ""), (message.group(1) if message else "")


def _hash_range(f, length: int, digest) -> None:
    left = length
    while left:
        piece = f.read(min(8 * MiB, left))
        if not piece:
            break
        digest.update(piece)
        left -= len(piece)


def error_for(response: httpx.Response) -> QarionError:
    """The :class:`QarionError` for an error answer, carrying the server's message."""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    code, status = error.get("code", ""), response.status_code
    message = error.get("message") or f"The server answered {status} {response.reason_phrase}."
    details = error.get("details") or {}
    if details and code in ("validation_error", "invalid", "") and status == 400:
        fields = "; ".join(f"{k}: {' '.join(v) if isinstance(v, list) else v}" for k, v in details.items()
                           if k != "session")
        if fields:
            message = f"{message} ({fields})"
    kwargs = {"code": code, "status": status, "details": details}
    if code in CHECKSUM_CODES:
        return ChecksumError(message, **kwargs)
    if status in (401, 403):
        return AuthError(message, **kwargs)
    if status == 404:
        return NotFoundError(message, **kwargs)
    if status in (400, 413):
        return UsageError(message, **kwargs)
    return ServerError(message, **kwargs)


__all__ = ["Client", "error_for"]
