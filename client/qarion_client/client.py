"""The SDK: a thin, retrying wrapper over the public REST API (API.md)."""

from __future__ import annotations

import base64
import hashlib
import os
import queue
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import httpx

from .errors import (AuthError, ChecksumError, NetworkError, NotFoundError, QarionError, ServerError,
                     UsageError)

API = "/api/v1.0"
MiB = 1024 * 1024
RETRY_STATUSES = {500, 502, 503, 504}
PAGE_LIMIT = 10_000  # pages followed at most in a list; a guard, never reached in practice


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


class _NullProgress:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, initial: int, description: str, enabled: bool):
    if not enabled:
        return _NullProgress()
    from tqdm import tqdm
    return tqdm(total=total, initial=initial, unit="B", unit_scale=True, unit_divisor=1024, desc=description,
                dynamic_ncols=True, leave=True)


class Client:
    """``Client(url, token)``: every method raises a :class:`QarionError` subclass on failure.

    ``retries`` bounds how often a request is repeated after a network error or a 5xx answer,
    with exponential backoff starting at ``backoff`` seconds. ``progress`` turns on a progress
    bar on stderr for uploads and downloads."""

    def __init__(self, url: str, token: str, *, timeout: float = 120.0, retries: int = 5, backoff: float = 0.5,
                 progress: bool = False):
        if not url:
            raise UsageError("No server URL: pass --url, set QARION_URL or run `qarion login`.")
        if not token:
            raise UsageError("No API token: set QARION_TOKEN or run `qarion login`.")
        self.url = url.rstrip("/")
        self.token = token
        self.retries = max(0, retries)
        self.backoff = backoff
        self.progress = progress
        self._http = httpx.Client(base_url=self.url, timeout=httpx.Timeout(timeout, connect=15.0),
                                  headers={"Authorization": f"Bearer {token}", "User-Agent": "qarion-client/0.1"},
                                  limits=httpx.Limits(max_connections=64, max_keepalive_connections=32))

    def close(self) -> None:
        self._http.close()

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
               create_version: bool = False, resume: bool = True, assembly_timeout: float | None = None) -> dict:
        """Upload ``path`` as an artifact of ``kind`` and return the artifact.

        Resumes an open session of the same file name, size, kind and version when there is
        one, sending only the chunks the server lacks. Chunks go out ``parallel`` at a time,
        each with its ``Content-Digest``; the whole file's sha256 is computed while reading and
        checked by the server when completing."""
        path = Path(path)
        if not path.is_file():
            raise UsageError(f"{path} is not a readable file.")
        size = path.stat().st_size
        if size == 0:
            raise UsageError(f"{path} is empty; the server does not accept empty artifacts.")
        if parallel < 1:
            raise UsageError("--parallel must be at least 1.")
        version_id = self.version(product_id, version, create=create_version)["id"] if version else None
        base = f"/catalog/products/{product_id}/model-artifacts/uploads"
        session = self._open_session(base, path.name, size, kind, version_id) if resume else None
        resumed = session is not None
        for _round in range(3):
            if session is None:
                body = {"file_name": path.name, "content_type": content_type, "total_size": size,
                        "artifact_kind": kind, "make_current": make_current}
                if version_id:
                    body["version_id"] = version_id
                session = self._json("POST", base, json=body, expect=(201,))
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

    def _open_session(self, base: str, name: str, size: int, kind: str, version_id: str | None) -> dict | None:
        candidates = [s for s in self._json("GET", base)
                      if s.get("status") == "open" and s.get("file_name") == name and s.get("total_size") == size
                      and s.get("artifact_kind") == kind and (s.get("version_id") or None) == version_id]
        if not candidates:
            return None
        return max(candidates, key=lambda s: (len(s.get("received_chunks") or []), s.get("created_at") or ""))

    def _send_and_complete(self, base: str, session: dict, path: Path, size: int, parallel: int,
                           assembly_timeout: float | None) -> dict:
        session_url = f"{base}/{session['id']}"
        session = self._json("GET", session_url)  # fresh state: which chunks the server has
        if session.get("status") == "expired":
            raise QarionError("The upload session expired.", code="upload_expired", status=410)
        sha256 = self._send_chunks(session_url, session, path, size, parallel)
        for _attempt in range(3):
            response = self.request("POST", f"{session_url}/complete", json={"expected_sha256": sha256},
                                    expect=(200, 201, 202, 400))
            body = response.json()
            if response.status_code == 400:
                error = body.get("error", {})
                if error.get("code") == "missing_chunks":
                    session = self._json("GET", session_url)
                    self._send_chunks(session_url, session, path, size, parallel, whole_sha256=sha256)
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
                cls = ChecksumError if error.get("code") == "checksum_mismatch" else ServerError
                raise cls(error.get("message") or "The upload could not be assembled.", code=error.get("code", ""),
                          details=error.get("details"))
            if status == "expired":
                raise QarionError("The upload session expired.", code="upload_expired", status=410)
            time.sleep(delay)
            delay = min(delay * 1.5, 2.0)
        raise ServerError("The server did not finish assembling the upload in time; "
                          "run the same command again later to pick it up.")

    def _send_chunks(self, session_url: str, session: dict, path: Path, size: int, parallel: int,
                     whole_sha256: str | None = None) -> str:
        """Read the file once in order (hashing it) and PUT the chunks the server lacks,
        ``parallel`` at a time. Returns the file's sha256."""
        chunk_size, total = int(session["chunk_size"]), int(session["total_chunks"])
        received = set(session.get("received_chunks") or [])
        missing = [i for i in range(total) if i not in received]
        have = sum(min(chunk_size, size - i * chunk_size) for i in received)
        bar = _progress(size, have, path.name, self.progress)
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
        bar = _progress(size or 0, have, target.name, self.progress)
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
    if code == "checksum_mismatch" or code == "chunk_digest_mismatch":
        return ChecksumError(message, **kwargs)
    if status in (401, 403):
        return AuthError(message, **kwargs)
    if status == 404:
        return NotFoundError(message, **kwargs)
    if status in (400, 413):
        return UsageError(message, **kwargs)
    return ServerError(message, **kwargs)


__all__ = ["Client", "error_for"]
