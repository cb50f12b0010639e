"""Where artifact bytes live: Django's storage API under the ``artifacts`` alias (local
filesystem by default, S3-compatible when configured). Keys derive from ids, never from
user-supplied file names."""

from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages


def artifact_storage():
    return storages["artifacts"]


def backend_name() -> str:
    return settings.QARION_STORAGE


def key_for_session(session_id) -> str:
    hex_id = session_id.hex if hasattr(session_id, "hex") else str(session_id).replace("-", "")
    return f"{hex_id[:2]}/{hex_id}"


def local_path(key: str) -> Path | None:
    """The filesystem path of ``key`` when storage is local, else None."""
    storage = artifact_storage()
    if isinstance(storage, FileSystemStorage):
        return Path(storage.path(key))
    return None
