"""Staging files: ONE sparse file per upload session, each chunk written once at its
offset (os.pwrite), so completion needs no join or copy, only one hashing pass."""

import ctypes
import ctypes.util
import hashlib
import mmap
import os
import shutil
import sys
from pathlib import Path

from django.conf import settings

from modelrepo.storage import ShortBody

READ_SIZE = 1024 * 1024  # network reads of a chunk body
HASH_BUFFER = 8 * 1024 * 1024  # page-aligned buffer for the completion pass


def staging_dir() -> Path:
    path = Path(settings.QARION_UPLOAD_STAGING_DIR)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def free_bytes() -> int:
    """Bytes free on the staging filesystem, for the unprivileged user writing it."""
    return shutil.disk_usage(staging_dir()).free


def staging_path(session_id) -> Path:
    hex_id = session_id.hex if hasattr(session_id, "hex") else str(session_id).replace("-", "")
    return staging_dir() / f"{hex_id}.part"


def create(session_id, total_size: int) -> None:
    fd = os.open(staging_path(session_id), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.ftruncate(fd, total_size)  # sparse: no disk is used until chunks arrive
    finally:
        os.close(fd)


def write_chunk(session_id, offset: int, length: int, read) -> tuple[int, "hashlib._Hash"]:
    """Stream ``length`` bytes from ``read(n)`` to the staging file at ``offset``,
    hashing as it goes; never holds more than one read in memory."""
    digest = hashlib.sha256()
    fd = os.open(staging_path(session_id), os.O_WRONLY)
    written = 0
    try:
        while written < length:
            piece = read(min(READ_SIZE, length - written))
            if not piece:
                raise ShortBody(f"received {written} of {length} bytes")
            os.pwrite(fd, piece, offset + written)
            digest.update(piece)
            written += len(piece)
        _start_writeback(fd, offset, written)
    finally:
        os.close(fd)
    return written, digest


def _load_sync_file_range():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        function = libc.sync_file_range
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    function.restype = ctypes.c_int
    return function


_sync_file_range = _load_sync_file_range() if sys.platform.startswith("linux") else None
_SYNC_FILE_RANGE_WRITE = 2


def _start_writeback(fd: int, offset: int, length: int) -> None:
    """Start writing the chunk to disk now without waiting (Linux sync_file_range), so the
    single fsync at completion has little left to do while the pages stay cached for the
    completion pass. Where the call is missing, the fsync simply does all the work."""
    if _sync_file_range is not None:
        _sync_file_range(fd, offset, length, _SYNC_FILE_RANGE_WRITE)


def hash_file(path: Path, *, on_progress=None, progress_every: int = 256 * 1024 * 1024) -> str:
    """One sequential pass over ``path`` with a page-aligned buffer; ``on_progress`` is
    called every ``progress_every`` bytes (the assembly renews its lease there)."""
    digest = hashlib.sha256()
    buffer = mmap.mmap(-1, HASH_BUFFER)
    view = memoryview(buffer)
    since = 0
    try:
        with open(path, "rb", buffering=0) as f:
            while True:
                n = f.readinto(buffer)
                if not n:
                    break
                digest.update(view[:n])
                since += n
                if on_progress is not None and since >= progress_every:
                    on_progress()
                    since = 0
    finally:
        view.release()
        buffer.close()
    return digest.hexdigest()


def remove(session_id) -> None:
    try:
        staging_path(session_id).unlink()
    except FileNotFoundError:
        pass
