"""Where artifact bytes live, behind one small interface.

``artifact_store()`` answers an ``ArtifactStore`` over Django's storage under the
``artifacts`` alias: ``LocalStore`` for the local filesystem (the default) or ``ObjectStore``
for S3-compatible object storage (django-storages). This module is the only place that
knows which one is configured; everything else asks the store, never the storage class.

Bytes are streamed, never held whole in memory: a staged file moves in by a rename (local)
or a streamed multipart copy (object storage), and reads come in fixed-size pieces. Keys
derive from ids, never from user-supplied file names."""

import contextlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.core.files import File
from django.core.files.storage import FileSystemStorage, storages

READ_SIZE = 1024 * 1024  # bytes per piece when streaming stored bytes


class BytesMissing(Exception):
    """The stored bytes under a key are gone (or the key does not name a stored file)."""


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
            os.replace(staged.path, target)
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


class ObjectStore(ArtifactStore):
    """An S3-compatible bucket through django-storages. Reads are ranged GETs streamed in
    pieces (django-storages' own ``open`` would first download the whole object); downloads
    are presigned URLs, so the bytes do not pass through the server."""

    def save_staged(self, key: str, staged: "Staged | Path") -> str:
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
        from botocore.exceptions import ClientError

        try:
            return self._object(key).get()["Body"]
        except ClientError as exc:
            raise BytesMissing(key) from exc

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
