"""Where artifact bytes live, behind one small interface.

``artifact_store()`` answers an ``ArtifactStore`` over Django's storage under the
``artifacts`` alias: ``LocalStore`` for the local filesystem (the default) or ``ObjectStore``
for S3-compatible object storage (django-storages). This module is the only place that
knows which one is configured; everything else asks the store, never the storage class.

Bytes are streamed, never held whole in memory: a staged file moves in by a rename (local;
a streamed copy when staging sits on another filesystem), upload chunks stream straight into
the parts of a multipart upload (object storage, so web nodes keep no upload state), and
reads come in fixed-size pieces or ranged requests. Keys derive from ids, never from
user-supplied file names, so a retried step finds or overwrites its own object."""

import base64
import contextlib
import errno
import hashlib
import io
import os
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.core.files import File
from django.core.files.storage import FileSystemStorage, storages

READ_SIZE = 1024 * 1024  # bytes per piece when streaming stored bytes


class BytesMissing(Exception):
    """The stored bytes under a key are gone (or the key does not name a stored file)."""


class StoreUnavailable(Exception):
    """The object store refused or did not answer a request; the message says what it said."""


class MultipartGone(Exception):
    """The multipart upload no longer exists (completed, aborted or expired in the bucket)."""


class ShortBody(Exception):
    """The client sent fewer bytes than it announced (a dropped connection)."""


# S3 takes parts of at least 5 MiB (all but the last) and at most 10,000 parts.
MIN_PART_SIZE = 5 * 1024 * 1024


def artifact_storage():
    """Django's storage behind the store; only this module and tests seeding files use it."""
    return storages["artifacts"]


def artifact_store() -> "ArtifactStore":
    storage = artifact_storage()
    return LocalStore(storage) if isinstance(storage, FileSystemStorage) else ObjectStore(storage)


def backend_name() -> str:
    return settings.QARION_STORAGE


def key_for_session(session_id) -> str:
    hex_id = session_id.hex if hasattr(session_id, "hex") else str(session_id).replace("-", "")
    return f"{hex_id[:2]}/{hex_id}"


def local_path(key: str) -> Path | None:
    """The filesystem path of ``key`` when storage is local, else None."""
    return artifact_store().local_path(key)


def read_pieces(handle, start: int = 0, length: int | None = None, *, buffer=None) -> Iterator:
    """``length`` bytes (to the end when None) of an open binary file from ``start``, in
    pieces of at most READ_SIZE bytes (or ``len(buffer)``). With ``buffer`` (a writable,
    ideally page-aligned buffer) the pieces are views into it: use each one before asking
    for the next. Stops early if the file is shorter than asked."""
    handle.seek(start)
    remaining = length
    if buffer is None:
        while remaining is None or remaining > 0:
            piece = handle.read(READ_SIZE if remaining is None else min(READ_SIZE, remaining))
            if not piece:
                return
            if remaining is not None:
                remaining -= len(piece)
            yield piece
        return
    with memoryview(buffer) as view:
        while remaining is None or remaining > 0:
            with view[:len(view) if remaining is None else min(len(view), remaining)] as target:
                n = handle.readinto(target)
            if not n:
                return
            if remaining is not None:
                remaining -= n
            # Released once the caller asks for the next piece, so the buffer can be closed after.
            with view[:n] as piece:
                yield piece


# --- durability of local files ------------------------------------------------------------

def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class BackgroundFsync:
    """fsync ``path`` in a thread, so the disk finishes writing the file while the CPU hashes
    it; ``wait()`` returns once it is durable (and re-raises the fsync's error, if any). The
    data of an inode is durable whatever name it has later, so after a rename only the
    directory is left to fsync."""

    def __init__(self, path: Path):
        self._error = None
        self._thread = threading.Thread(target=self._run, args=(path,), name="fsync", daemon=True)
        self._thread.start()

    def _run(self, path: Path) -> None:
        try:
            fsync_path(path)
        except OSError as exc:
            self._error = exc

    def wait(self) -> None:
        self._thread.join()
        if self._error is not None:
            raise self._error


@dataclass
class Staged:
    """A finished file outside storage, about to be saved into it with ``save_staged``.
    ``synced`` says its bytes are already durable on this filesystem."""

    path: Path
    synced: bool = False


@dataclass
class Stored:
    """Finished bytes already in storage under ``key`` (a completed multipart upload):
    ``save_staged`` keeps them where they are."""

    key: str


@dataclass
class Part:
    """One part of a multipart upload as the object store reports it."""

    number: int
    size: int
    etag: str
    sha256: str = ""  # base64, when the store keeps part checksums


@dataclass
class PendingMultipart:
    key: str
    upload_id: str
    initiated: datetime


def copy_file_across(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` on another filesystem in pieces, durably, appearing under
    its name only once complete (a temporary file beside it, fsynced, then renamed)."""
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with open(source, "rb") as reader, os.fdopen(fd, "wb") as writer:
            for piece in read_pieces(reader):
                writer.write(piece)
            writer.flush()
            os.fsync(writer.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    os.unlink(source)


class _HashingReader(io.RawIOBase):
    """``length`` bytes from ``read(n)``, hashed as they pass, for a request body that is
    streamed on without being held: a short body raises ShortBody."""

    def __init__(self, read, length: int):
        self._read, self._remaining, self.received = read, length, 0
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        if self._remaining <= 0:
            return b""
        n = self._remaining if n is None or n < 0 else min(n, self._remaining, READ_SIZE)
        piece = self._read(n)
        if not piece:
            raise ShortBody(f"received {self.received} of {self.received + self._remaining} bytes")
        self._remaining -= len(piece)
        self.received += len(piece)
        self.digest.update(piece)
        return piece

    def readinto(self, buffer) -> int:
        piece = self.read(len(buffer))
        buffer[:len(piece)] = piece
        return len(piece)


# --- the interface ------------------------------------------------------------------------

class ArtifactStore:
    """What the rest of the code may do with artifact bytes."""

    def __init__(self, storage):
        self.storage = storage

    def staged(self, path: Path):
        """A context for the work done on a staged file before ``save_staged`` moves it in
        (the upload's hashing pass); yields the ``Staged`` to hand to ``save_staged``."""
        return contextlib.nullcontext(Staged(Path(path)))

    def save_staged(self, key: str, staged: "Staged | Path") -> str:
        """Move a finished file into storage under ``key``; returns the key it is stored under."""
        raise NotImplementedError

    def save_stream(self, key: str, stream) -> str:
        """Store what the binary file object ``stream`` holds under ``key``, copied in pieces;
        returns the key it is stored under (which storage may have changed to keep it unique)."""
        return self.storage.save(key, File(stream))

    def open(self, key: str):
        """An open binary file object over the stored bytes, for streaming reads; raises
        BytesMissing. The caller closes it."""
        raise NotImplementedError

    def pieces(self, key: str, start: int = 0, length: int | None = None, *, buffer=None) -> Iterator:
        """The stored bytes from ``start`` (``length`` of them, or to the end) in fixed-size
        pieces; see ``read_pieces`` for ``buffer``. Raises BytesMissing before the first piece."""
        handle = self.open(key)
        try:
            yield from read_pieces(handle, start, length, buffer=buffer)
        finally:
            handle.close()

    def delete(self, key: str) -> None:
        """Remove the stored bytes; removing what is already gone is not an error."""
        self.storage.delete(key)

    def exists(self, key: str) -> bool:
        return self.storage.exists(key)

    def size(self, key: str) -> int:
        try:
            return self.storage.size(key)
        except (OSError, SuspiciousOperation) as exc:
            raise BytesMissing(key) from exc

    def presigned_url(self, key: str, *, file_name: str, content_type: str) -> str | None:
        """A short-lived URL a client can fetch the bytes from directly; None when the
        server itself serves them (local storage)."""
        return None

    def local_path(self, key: str) -> Path | None:
        """The filesystem path of ``key`` (stored or not); None for object storage."""
        return None

    def stored_path(self, key: str) -> Path | None:
        """The local file stored under ``key`` when there is one (an earlier ``save_staged``
        renamed it there); None when nothing is stored there or storage is not local."""
        return None

    def check(self) -> None:
        """Raise when the store cannot be used (for /health/)."""
        raise NotImplementedError

    # Multipart uploads: only object storage keeps upload state outside the web nodes.
    supports_multipart = False


class LocalStore(ArtifactStore):
    """Files under the storage root. A staged file on the same filesystem moves in by a
    rename: its data made durable once (an fsync, beside whatever reads it first), then the
    rename made durable with an fsync of the directory."""

    @contextlib.contextmanager
    def staged(self, path: Path):
        staged = Staged(Path(path))
        durable = BackgroundFsync(staged.path)
        try:
            yield staged
        finally:
            durable.wait()
        staged.synced = True

    def save_staged(self, key: str, staged: "Staged | Path") -> str:
        staged = staged if isinstance(staged, Staged) else Staged(Path(staged))
        target = self.local_path(key)
        if not staged.synced:
            fsync_path(staged.path)
        if staged.path != target:
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.replace(staged.path, target)
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise
                copy_file_across(staged.path, target)  # staging on another filesystem
        fsync_path(target.parent)
        return key

    def open(self, key: str):
        try:
            return open(self.local_path(key), "rb")
        except (OSError, ValueError, SuspiciousOperation) as exc:  # missing, a directory, or outside the root
            raise BytesMissing(key) from exc

    def exists(self, key: str) -> bool:
        try:
            return self.local_path(key).is_file()
        except SuspiciousOperation:
            return False

    def local_path(self, key: str) -> Path:
        return Path(self.storage.path(key))

    def stored_path(self, key: str) -> Path | None:
        path = self.local_path(key)
        return path if path.is_file() else None

    def check(self) -> None:
        root = Path(self.storage.location)
        root.mkdir(parents=True, exist_ok=True)
        if not os.access(root, os.W_OK | os.X_OK):
            raise PermissionError("the artifact directory is not writable")


class _RangedObject(io.RawIOBase):
    """A seekable, read-only file over one stored object: each read is a ranged GET of what
    was asked (wrap it in io.BufferedReader for read-ahead), so format detection and scanning
    walk an object of any size in bounded memory."""

    def __init__(self, obj, size: int):
        self._object, self._size, self._position = obj, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer) -> int:
        from botocore.exceptions import BotoCoreError, ClientError

        want = min(len(buffer), self._size - self._position)
        if want <= 0:
            return 0
        try:
            body = self._object.get(Range=f"bytes={self._position}-{self._position + want - 1}")["Body"]
        except ClientError as exc:
            raise BytesMissing(self._object.key) from exc
        except BotoCoreError as exc:
            raise StoreUnavailable(str(exc)) from exc
        got = 0
        with memoryview(buffer) as view, contextlib.closing(body):
            while got < want:
                piece = body.read(min(READ_SIZE, want - got))
                if not piece:
                    break
                view[got:got + len(piece)] = piece
                got += len(piece)
        self._position += got
        return got


class ObjectStore(ArtifactStore):
    """An S3-compatible bucket through django-storages. Reads are ranged GETs streamed in
    pieces (django-storages' own ``open`` would first download the whole object); downloads
    are presigned URLs, so the bytes do not pass through the server. Upload chunks stream
    into multipart-upload parts under the artifact's own key."""

    supports_multipart = True
    OPEN_BUFFER = 8 * 1024 * 1024  # read-ahead of ``open``: one ranged GET per 8 MiB walked

    def save_staged(self, key: str, staged: "Staged | Stored | Path") -> str:
        if isinstance(staged, Stored):
            if staged.key != key:
                raise ValueError(f"bytes stored under {staged.key} cannot be saved under {key}")
            return key
        path = staged.path if isinstance(staged, Staged) else Path(staged)
        # Keys derive from the upload session, so anything already there is an earlier
        # attempt's copy of these same bytes: replace it rather than store a second object.
        self.storage.delete(key)
        with open(path, "rb") as handle:
            return self.save_stream(key, handle)

    def _object(self, key: str):
        from storages.utils import clean_name

        return self.storage.bucket.Object(self.storage._normalize_name(clean_name(key)))

    def pieces(self, key: str, start: int = 0, length: int | None = None, *, buffer=None) -> Iterator:
        from botocore.exceptions import ClientError

        ranged = {}
        if start or length is not None:
            end = "" if length is None else str(start + length - 1)
            ranged["Range"] = f"bytes={start}-{end}"
        try:
            body = self._object(key).get(**ranged)["Body"]
        except ClientError as exc:
            raise BytesMissing(key) from exc
        try:
            yield from body.iter_chunks(READ_SIZE)
        finally:
            body.close()

    def open(self, key: str):
        """A seekable buffered reader over the object (ranged GETs of OPEN_BUFFER bytes)."""
        return io.BufferedReader(_RangedObject(self._object(key), self.size(key)), buffer_size=self.OPEN_BUFFER)

    def size(self, key: str) -> int:
        from botocore.exceptions import ClientError

        try:
            return self.storage.size(key)
        except (OSError, ClientError) as exc:
            raise BytesMissing(key) from exc

    def presigned_url(self, key: str, *, file_name: str, content_type: str) -> str:
        from django.utils.http import content_disposition_header

        return self.storage.url(key, parameters={
            "ResponseContentDisposition": content_disposition_header(True, file_name),
            "ResponseContentType": content_type,
        })

    def check(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client().head_bucket(Bucket=self.storage.bucket_name)
        except (BotoCoreError, ClientError) as exc:
            raise StoreUnavailable(_store_said(exc)) from exc

    # --- multipart uploads ----------------------------------------------------------------

    def _client(self):
        """A client for the multipart and health calls, with the storage's endpoint, keys,
        region, addressing style and signature version. Part bodies are streamed as they
        arrive, so they are neither signed nor checksummed by the SDK (which would have to
        read each part twice) and never retried from a body that cannot be rewound."""
        options = (self.storage.endpoint_url, self.storage.region_name, self.storage.access_key,
                   self.storage.secret_key, self.storage.addressing_style, self.storage.signature_version)
        client = _CLIENTS.get(options)
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.session.Session().client(
                "s3", endpoint_url=options[0], region_name=options[1], aws_access_key_id=options[2],
                aws_secret_access_key=options[3], config=Config(
                    signature_version=options[5] or "s3v4",
                    s3={"addressing_style": options[4] or "auto", "payload_signing_enabled": False},
                    request_checksum_calculation="when_required", response_checksum_validation="when_required",
                    retries={"total_max_attempts": 1}, connect_timeout=10, read_timeout=120,
                    max_pool_connections=32))
            _CLIENTS[options] = client
        return client

    def _name(self, key: str) -> str:
        from storages.utils import clean_name

        return self.storage._normalize_name(clean_name(key))

    def _call(self, operation: str, **params):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self._client(), operation)(Bucket=self.storage.bucket_name, **params)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchUpload", "404"):
                raise MultipartGone(_store_said(exc)) from exc
            raise StoreUnavailable(_store_said(exc)) from exc
        except BotoCoreError as exc:
            raise StoreUnavailable(_store_said(exc)) from exc

    def multipart_start(self, key: str, *, content_type: str, part_checksums: bool = False) -> str:
        """Begin a multipart upload whose result is stored under ``key``; returns its id. With
        ``part_checksums`` every part must carry its sha-256, which the bucket checks."""
        params = {"Key": self._name(key), "ContentType": content_type}
        if part_checksums:
            params["ChecksumAlgorithm"] = "SHA256"
        return self._call("create_multipart_upload", **params)["UploadId"]

    def multipart_put(self, key: str, upload_id: str, number: int, length: int, read) -> tuple[int, "hashlib._Hash"]:
        """Stream ``length`` bytes from ``read(n)`` into part ``number``, hashing them as they
        pass; holds one network read at a time. Returns (bytes sent, their sha-256)."""
        body = _HashingReader(read, length)
        self._call("upload_part", Key=self._name(key), UploadId=upload_id, PartNumber=number, Body=body,
                   ContentLength=length)
        return body.received, body.digest

    def multipart_part_url(self, key: str, upload_id: str, number: int, sha256_b64: str, expires: int) -> str:
        """A presigned PUT of part ``number`` whose signature binds the part's sha-256: the
        bucket refuses other bytes, and a request without the header fails the signature."""
        return self._client().generate_presigned_url("upload_part", ExpiresIn=expires, Params={
            "Bucket": self.storage.bucket_name, "Key": self._name(key), "UploadId": upload_id,
            "PartNumber": number, "ChecksumSHA256": sha256_b64})

    def multipart_parts(self, key: str, upload_id: str) -> list[Part]:
        """The parts that arrived, as the bucket lists them (ListParts, page by page)."""
        parts, marker = [], 0
        for _ in range(11):  # at most 10,000 parts, 1,000 a page
            page = self._call("list_parts", Key=self._name(key), UploadId=upload_id, PartNumberMarker=marker,
                              MaxParts=1000)
            parts += [Part(p["PartNumber"], p["Size"], p["ETag"], p.get("ChecksumSHA256", ""))
                      for p in page.get("Parts", [])]
            if not page.get("IsTruncated"):
                break
            marker = page["NextPartNumberMarker"]
        return parts

    def multipart_complete(self, key: str, upload_id: str, parts: list[Part]) -> None:
        listed = []
        for part in parts:
            entry = {"PartNumber": part.number, "ETag": part.etag}
            if part.sha256:
                entry["ChecksumSHA256"] = part.sha256
            listed.append(entry)
        self._call("complete_multipart_upload", Key=self._name(key), UploadId=upload_id,
                   MultipartUpload={"Parts": listed})

    def multipart_abort(self, key: str, upload_id: str) -> None:
        """Abort the upload and free its parts; aborting one already gone is not an error."""
        with contextlib.suppress(MultipartGone):
            self._call("abort_multipart_upload", Key=self._name(key), UploadId=upload_id)

    def multipart_pending(self) -> list[PendingMultipart]:
        """Multipart uploads under way in the bucket (at most 10,000, oldest pages first)."""
        found, params = [], {}
        for _ in range(10):
            page = self._call("list_multipart_uploads", MaxUploads=1000, **params)
            location = self.storage.location.rstrip("/") + "/" if self.storage.location else ""
            found += [PendingMultipart(u["Key"][len(location):] if location else u["Key"], u["UploadId"],
                                       u["Initiated"]) for u in page.get("Uploads", [])]
            if not page.get("IsTruncated"):
                break
            params = {"KeyMarker": page["NextKeyMarker"], "UploadIdMarker": page["NextUploadIdMarker"]}
        return found


_CLIENTS: dict = {}


def _store_said(exc) -> str:
    error = getattr(exc, "response", {}).get("Error", {}) if hasattr(exc, "response") else {}
    if error:
        return f"{error.get('Code', 'Error')}: {error.get('Message', '')}".strip().rstrip(":")
    return type(exc).__name__ + (f": {exc}" if str(exc) else "")


def b64_of_hex(sha256_hex: str) -> str:
    return base64.b64encode(bytes.fromhex(sha256_hex)).decode()
