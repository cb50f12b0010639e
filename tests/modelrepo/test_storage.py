"""The artifact store: one interface over local files and object storage. The local backend
runs against real files in the test's folder (tests/conftest.py puts storage and staging
there, on one filesystem, as the settings require); the object-storage backend against
moto's S3 server on loopback, through django-storages and boto3 as in production."""

import hashlib
import io
import mmap
import os
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from modelrepo import scrub, storage
from modelrepo.models import Artifact
from tests.uploads.conftest import Uploader
from uploads import staging

DATA = bytes(range(256)) * 12_000  # ~3 MiB: several pieces


@pytest.fixture
def store(local_storage):
    return storage.artifact_store()


@pytest.fixture
def staged_file(tmp_path):
    staging_dir = Path(settings.QARION_UPLOAD_STAGING_DIR)
    staging_dir.mkdir(parents=True, exist_ok=True)
    path = staging_dir / "finished.part"
    path.write_bytes(DATA)
    return path


def test_local_storage_is_served_by_the_local_store(store):
    assert isinstance(store, storage.LocalStore)


def test_a_staged_file_moves_in_by_a_rename(store, staged_file):
    inode = staged_file.stat().st_ino
    key = store.save_staged("ab/abcdef", staged_file)
    assert key == "ab/abcdef"
    assert not staged_file.exists()
    stored = store.local_path(key)
    assert stored.stat().st_ino == inode  # the same file, not a copy
    assert stored.read_bytes() == DATA


def test_a_file_staged_in_a_context_is_fsynced_once_beside_the_work_and_its_directory_once(store, staged_file,
                                                                                            monkeypatch):
    synced = []
    real = storage.fsync_path
    monkeypatch.setattr(storage, "fsync_path", lambda path: (synced.append(Path(path)), real(path)))
    with store.staged(staged_file) as staged:
        assert staged.path == staged_file
    assert staged.synced and synced == [staged_file]
    key = store.save_staged("cd/cdef01", staged)
    assert synced == [staged_file, store.local_path(key).parent]


def test_saving_a_file_already_at_its_key_keeps_it(store, staged_file):
    key = store.save_staged("ef/ef0123", staged_file)
    assert store.save_staged(key, store.stored_path(key)) == key  # a retry after a crash that followed the move
    assert store.local_path(key).read_bytes() == DATA


def test_saving_from_a_stream_returns_the_key_it_is_stored_under(store):
    key = store.save_stream("12/123456", io.BytesIO(DATA))
    assert store.exists(key) and store.size(key) == len(DATA)
    assert b"".join(store.pieces(key)) == DATA


def test_a_byte_range_comes_in_fixed_size_pieces(store):
    key = store.save_stream("34/345678", io.BytesIO(DATA))
    pieces = list(store.pieces(key, 1000, 2 * storage.READ_SIZE + 7))
    assert [len(p) for p in pieces] == [storage.READ_SIZE, storage.READ_SIZE, 7]
    assert b"".join(pieces) == DATA[1000:1000 + 2 * storage.READ_SIZE + 7]


def test_pieces_read_into_a_given_buffer_and_release_it(store):
    key = store.save_stream("56/56789a", io.BytesIO(DATA))
    buffer = mmap.mmap(-1, 1024 * 1024)
    seen = []
    for piece in store.pieces(key, buffer=buffer):
        assert isinstance(piece, memoryview) and piece.obj is buffer
        seen.append(bytes(piece))
    buffer.close()  # no view of it is left exported
    assert b"".join(seen) == DATA


def test_a_range_past_the_end_stops_at_the_end(store):
    key = store.save_stream("78/789abc", io.BytesIO(b"short"))
    assert b"".join(store.pieces(key, 2, 100)) == b"ort"


def test_open_reads_as_a_real_file_the_server_can_sendfile(store):
    key = store.save_stream("9a/9abcde", io.BytesIO(DATA))
    with store.open(key) as handle:
        assert os.fstat(handle.fileno()).st_size == len(DATA)
        assert handle.read(4) == DATA[:4]


@pytest.mark.parametrize("key", ["00/missing", "../../outside", ""])
def test_missing_bytes_or_a_key_outside_the_root_answer_bytes_missing(store, key):
    assert not store.exists(key)
    with pytest.raises(storage.BytesMissing):
        store.open(key)
    with pytest.raises(storage.BytesMissing):
        next(store.pieces(key))
    if key:
        with pytest.raises(storage.BytesMissing):
            store.size(key)


def test_deleting_twice_is_not_an_error(store):
    key = store.save_stream("bc/bcdef0", io.BytesIO(b"x"))
    store.delete(key)
    store.delete(key)
    assert not store.exists(key)


def test_local_storage_serves_bytes_itself_and_has_paths(store):
    assert store.presigned_url("de/def012", file_name="m.bin", content_type="application/octet-stream") is None
    assert store.local_path("de/def012") == Path(settings.STORAGES["artifacts"]["OPTIONS"]["location"]) / "de/def012"
    assert store.stored_path("de/def012") is None
    store.save_stream("de/def012", io.BytesIO(b"x"))
    assert store.stored_path("de/def012") == store.local_path("de/def012")


def test_no_module_but_the_store_asks_which_storage_class_is_configured():
    root = Path(__file__).resolve().parents[2]
    asking = [str(path.relative_to(root)) for app in ("catalog", "modelrepo", "uploads", "governance", "qarion")
              for path in (root / app).rglob("*.py")
              if path.name != "settings.py" and path != root / "modelrepo" / "storage.py"
              and ("FileSystemStorage" in path.read_text() or "S3Storage" in path.read_text())]
    assert asking == []


# --- object storage: the same interface against moto's S3 server on loopback ---------------

def test_object_storage_copies_a_staged_file_and_keeps_the_key_on_a_retry(s3_store, staged_file):
    assert s3_store.save_staged("ab/abcdef", staged_file) == "ab/abcdef"
    assert staged_file.exists()  # a copy: the upload removes its staging file once the artifact is recorded
    assert s3_store.save_staged("ab/abcdef", staged_file) == "ab/abcdef"  # not a second object beside it
    assert s3_store.exists("ab/abcdef") and s3_store.size("ab/abcdef") == len(DATA)
    assert s3_store.local_path("ab/abcdef") is None and s3_store.stored_path("ab/abcdef") is None


def test_object_storage_reads_ranges_in_fixed_size_pieces(s3_store):
    key = s3_store.save_stream("cd/cdef01", io.BytesIO(DATA))
    pieces = list(s3_store.pieces(key, 1000, 2 * storage.READ_SIZE + 7))
    assert max(len(p) for p in pieces) <= storage.READ_SIZE
    assert b"".join(pieces) == DATA[1000:1000 + 2 * storage.READ_SIZE + 7]
    assert b"".join(s3_store.pieces(key)) == DATA


def test_object_storage_hands_out_a_presigned_url_that_serves_the_bytes(s3_store):
    key = s3_store.save_stream("ef/ef0123", io.BytesIO(b"weights"))
    url = s3_store.presigned_url(key, file_name="model.bin", content_type="application/octet-stream")
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.read() == b"weights"
        assert 'filename="model.bin"' in response.headers["Content-Disposition"]


def test_object_storage_answers_bytes_missing_and_deletes_twice(s3_store):
    assert not s3_store.exists("00/missing")
    with pytest.raises(storage.BytesMissing):
        next(s3_store.pieces("00/missing"))
    with pytest.raises(storage.BytesMissing):
        s3_store.size("00/missing")
    key = s3_store.save_stream("12/123456", io.BytesIO(b"x"))
    s3_store.delete(key)
    s3_store.delete(key)
    assert not s3_store.exists(key)


def test_an_upload_to_object_storage_is_stored_redirected_and_scrubbed(s3_store, api_as, world, settings):
    settings.QARION_UPLOAD_CHUNK_SIZE = 1024 * 1024
    settings.CELERY_TASK_ALWAYS_EAGER = True
    up = Uploader(api_as("editor"), world.record.pk)
    upload_id, response = up.upload(DATA)
    assert response.status_code == 201, response.content
    artifact = Artifact.objects.get()
    assert artifact.storage_backend == "s3" and s3_store.size(artifact.storage_key) == len(DATA)
    assert not staging.staging_path(upload_id).exists()
    download = up.client.get(f"/api/v1.0/catalog/products/{world.record.pk}/model-artifacts/{artifact.pk}/download")
    endpoint = settings.STORAGES["artifacts"]["OPTIONS"]["endpoint_url"]
    assert download.status_code == 302 and download["Location"].startswith(endpoint)
    assert scrub.hash_stored(artifact) == hashlib.sha256(DATA).hexdigest()
