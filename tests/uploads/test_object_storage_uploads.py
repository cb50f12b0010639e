"""Uploads on object storage (API.md, "Direct-to-bucket uploads"): against moto's S3 server on
loopback through django-storages and boto3, as in production. Chunks stream into the parts of
the bucket's multipart upload, so no byte of an upload lands on a web node's disk; the worker
completes the multipart upload and hashes the object by one streaming read."""

import base64
import datetime as dt
import errno
import hashlib
import io
import os
import pickle
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from modelrepo import storage
from modelrepo.models import Artifact
from tests.uploads.conftest import Uploader, digest_header, payload, uploads_url
from uploads import services
from uploads.choices import SessionStatus
from uploads.models import UploadSession

MiB = 1024 * 1024
PART = storage.MIN_PART_SIZE


@pytest.fixture
def up(api_as, world, s3_store, settings):
    settings.QARION_UPLOAD_CHUNK_SIZE = MiB  # raised to S3's smallest part
    return Uploader(api_as("editor"), world.record.pk)


def staging_files() -> list[Path]:
    root = Path(django_settings.QARION_UPLOAD_STAGING_DIR)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def pending_uploads(s3_bucket) -> list:
    name, client = s3_bucket
    return client.list_multipart_uploads(Bucket=name).get("Uploads", [])


def objects(s3_bucket) -> list[str]:
    name, client = s3_bucket
    return [o["Key"] for o in client.list_objects_v2(Bucket=name).get("Contents", [])]


def b64_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


# --- server transfer --------------------------------------------------------------------------

def test_chunks_stream_into_the_multipart_upload_and_nothing_is_staged_on_disk(up, s3_bucket, settings):
    settings.QARION_UPLOAD_CHUNK_SIZE = MiB  # raised to S3's smallest part
    data = payload(2 * PART + 12345)
    started = up.start(file_name="model.bin", total_size=len(data))
    assert started.status_code == 201, started.content
    body = started.json()
    assert body["chunk_size"] == PART and body["total_chunks"] == 3 and body["transfer"] == "server"
    session = UploadSession.objects.get(pk=body["id"])
    assert session.multipart_upload_id
    for index in (2, 0, 1):
        chunk = data[index * PART:(index + 1) * PART]
        response = up.put(body["id"], index, chunk, HTTP_CONTENT_DIGEST=digest_header(chunk))
        assert response.status_code == 200, response.content
        assert response.json()["sha256"] == hashlib.sha256(chunk).hexdigest()
    assert staging_files() == []
    [pending] = pending_uploads(s3_bucket)
    assert pending["UploadId"] == session.multipart_upload_id

    done = up.complete(body["id"], expected_sha256=hashlib.sha256(data).hexdigest())
    assert done.status_code == 201, done.content
    artifact = Artifact.objects.get()
    assert artifact.sha256 == hashlib.sha256(data).hexdigest() and artifact.size_bytes == len(data)
    assert artifact.storage_key == storage.key_for_session(session.id)
    assert objects(s3_bucket) == [artifact.storage_key]  # one object, under the session's own key
    assert pending_uploads(s3_bucket) == [] and staging_files() == []
    name, client = s3_bucket
    stored = client.get_object(Bucket=name, Key=artifact.storage_key)["Body"].read()
    assert hashlib.sha256(stored).hexdigest() == artifact.sha256


def test_a_chunk_whose_bytes_differ_from_its_digest_is_not_received_and_can_be_sent_again(up, s3_bucket):
    data = payload(PART + 10)
    upload_id = up.start(file_name="model.bin", total_size=len(data)).json()["id"]
    first = data[:PART]
    wrong = up.put(upload_id, 0, b"x" * PART, HTTP_CONTENT_DIGEST=digest_header(first))
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "chunk_digest_mismatch"
    assert up.put(upload_id, 1, data[PART:]).status_code == 200
    missing = up.complete(upload_id)
    assert missing.status_code == 400 and missing.json()["error"]["details"]["missing"] == [0]
    assert up.put(upload_id, 0, first, HTTP_CONTENT_DIGEST=digest_header(first)).status_code == 200
    assert up.complete(upload_id).status_code == 201
    assert Artifact.objects.get().sha256 == hashlib.sha256(data).hexdigest()


def test_a_retried_assembly_reuses_the_completed_object_and_leaves_no_second_copy(up, s3_bucket, s3_store):
    """A worker that died after completing the multipart upload: the retry finds the object
    under the session's key (the multipart upload is gone) and records exactly one artifact."""
    data = payload(PART + 99)
    upload_id = up.start(file_name="model.bin", total_size=len(data)).json()["id"]
    up.send_all(upload_id, data, PART)
    session = UploadSession.objects.get(pk=upload_id)
    key = storage.key_for_session(session.id)
    s3_store.multipart_complete(key, session.multipart_upload_id, s3_store.multipart_parts(key, session.multipart_upload_id))
    UploadSession.objects.filter(pk=upload_id).update(status=SessionStatus.ASSEMBLING, lease_until=None)

    services.session_assemble(upload_id)
    services.session_assemble(upload_id)  # and a duplicate delivery of the task

    session.refresh_from_db()
    assert session.status == SessionStatus.COMPLETED
    assert Artifact.objects.count() == 1 and objects(s3_bucket) == [key]


def test_a_checksum_mismatch_fails_the_session_and_removes_the_object(up, s3_bucket):
    data = payload(PART + 5)
    upload_id = up.start(file_name="model.bin", total_size=len(data), expected_sha256="0" * 64).json()["id"]
    up.send_all(upload_id, data, PART)
    response = up.complete(upload_id)
    assert response.status_code == 409 and response.json()["error"]["code"] == "checksum_mismatch"
    assert Artifact.objects.count() == 0
    assert objects(s3_bucket) == [] and pending_uploads(s3_bucket) == []


def test_abort_and_expiry_abort_the_multipart_upload(up, s3_bucket):
    data = payload(PART + 1)
    aborted = up.start(file_name="a.bin", total_size=len(data)).json()["id"]
    expiring = up.start(file_name="b.bin", total_size=len(data)).json()["id"]
    up.put(aborted, 0, data[:PART])
    up.put(expiring, 0, data[:PART])
    assert len(pending_uploads(s3_bucket)) == 2

    assert up.abort(aborted).status_code == 204
    assert [u["UploadId"] for u in pending_uploads(s3_bucket)] == [
        UploadSession.objects.get(pk=expiring).multipart_upload_id]

    UploadSession.objects.filter(pk=expiring).update(expires_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    services.expire_sessions()
    assert pending_uploads(s3_bucket) == []
    assert UploadSession.objects.get(pk=expiring).staging_purged


def test_the_sweep_aborts_multipart_uploads_no_session_owns(up, s3_bucket, s3_store, monkeypatch):
    owned = up.start(file_name="a.bin", total_size=PART + 1).json()["id"]
    orphan_key = storage.key_for_session("ab" + "0" * 30)
    orphan = s3_store.multipart_start(orphan_key, content_type="application/octet-stream")
    other_key = "not-a-session/key"  # not ours: left alone
    other = s3_store.multipart_start(other_key, content_type="application/octet-stream")
    monkeypatch.setattr(services, "ORPHAN_MULTIPART_AGE", dt.timedelta(seconds=-60))

    assert services.sweep_orphan_multipart_uploads() == 1

    left = {u["UploadId"] for u in pending_uploads(s3_bucket)}
    assert orphan not in left
    assert {UploadSession.objects.get(pk=owned).multipart_upload_id, other} <= left


def test_chunks_are_at_least_s3s_smallest_part(up, settings):
    settings.QARION_UPLOAD_CHUNK_SIZE = MiB
    body = up.start(file_name="model.bin", total_size=3 * MiB).json()
    assert body["chunk_size"] == PART and body["total_chunks"] == 1


def test_a_pickle_in_the_bucket_is_scanned_by_ranged_reads(up):
    class Exploit:
        def __reduce__(self):
            return (os.system, ("echo owned",))

    data = pickle.dumps(Exploit(), protocol=2)
    upload_id, response = up.upload(data, file_name="model.pkl")
    assert response.status_code == 201, response.content
    artifact = Artifact.objects.get()
    assert artifact.detected_format == "pickle" and artifact.safety == "unsafe"


def test_a_stored_object_reads_as_a_seekable_file_in_bounded_ranged_requests(s3_store):
    data = payload(3 * MiB + 7)
    key = s3_store.save_stream("aa/" + "a" * 32, io.BytesIO(data))
    with s3_store.open(key) as handle:
        handle.seek(2 * MiB)
        assert handle.read(10) == data[2 * MiB:2 * MiB + 10]
        handle.seek(-7, io.SEEK_END)
        assert handle.read() == data[-7:]
        handle.seek(0)
        assert hashlib.sha256(handle.read()).digest() == hashlib.sha256(data).digest()


# --- direct transfer ----------------------------------------------------------------------------

def put_to_bucket(part: dict, data: bytes) -> int:
    request = urllib.request.Request(part["url"], data=data, method=part["method"],
                                     headers={**part["headers"], "Content-Type": "application/octet-stream"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code


def ask_parts(up, upload_id, parts):
    return up.client.post(uploads_url(up.product_id, upload_id, "parts"), {"parts": parts}, format="json")


def test_direct_transfer_sends_parts_to_the_bucket_and_the_server_learns_them_from_listparts(up, s3_bucket, settings):
    settings.QARION_UPLOAD_DIRECT = True
    data = payload(2 * PART + 321)
    body = up.start(file_name="model.bin", total_size=len(data), transfer="direct").json()
    assert body["transfer"] == "direct"
    upload_id = body["id"]
    chunks = [data[i * PART:(i + 1) * PART] for i in range(body["total_chunks"])]

    refused = up.put(upload_id, 0, chunks[0])
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "direct_transfer"

    answer = ask_parts(up, upload_id, [{"index": i, "sha256": b64_sha256(c)} for i, c in enumerate(chunks)])
    assert answer.status_code == 200, answer.content
    parts = answer.json()["parts"]
    for part, chunk in zip(parts, chunks, strict=True):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(part["url"]).query)
        assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]  # SigV4
        assert "x-amz-checksum-sha256" in query["X-Amz-SignedHeaders"][0].split(";")
        assert part["headers"]["x-amz-checksum-sha256"] == b64_sha256(chunk)
    for part in parts[:2]:
        assert put_to_bucket(part, chunks[part["index"]]) == 200

    state = up.get(upload_id).json()
    assert state["received_chunks"] == [0, 1] and state["received_bytes"] == 2 * PART
    assert up.complete(upload_id).json()["error"]["details"]["missing"] == [2]

    assert put_to_bucket(parts[2], chunks[2]) == 200
    done = up.complete(upload_id)
    assert done.status_code == 201, done.content
    assert Artifact.objects.get().sha256 == hashlib.sha256(data).hexdigest()
    assert pending_uploads(s3_bucket) == [] and staging_files() == []


def test_a_direct_part_with_other_bytes_than_its_url_was_issued_for_fails_the_upload(up, s3_bucket, settings):
    """Where the bucket does not check part checksums itself, the server's streaming read finds
    the part and refuses the file; nothing is recorded and the object is removed."""
    settings.QARION_UPLOAD_DIRECT = True
    data = payload(PART + 10)
    upload_id = up.start(file_name="model.bin", total_size=len(data), transfer="direct").json()["id"]
    chunks = [data[:PART], data[PART:]]
    parts = ask_parts(up, upload_id, [{"index": i, "sha256": b64_sha256(c)} for i, c in enumerate(chunks)]).json()["parts"]
    status = put_to_bucket(parts[0], b"\0" * PART)
    assert put_to_bucket(parts[1], chunks[1]) == 200
    if status != 200:  # a bucket that checks the signed checksum refuses the part itself
        assert status in (400, 403)
        return
    response = up.complete(upload_id)
    assert response.status_code == 409 and response.json()["error"]["code"] == "part_checksum_mismatch"
    assert response.json()["error"]["details"]["session"]["status"] == "failed"
    assert Artifact.objects.count() == 0 and objects(s3_bucket) == []


def test_direct_is_only_chosen_when_the_server_offers_it(up, settings):
    settings.QARION_UPLOAD_DIRECT = False
    body = up.start(file_name="model.bin", total_size=PART, transfer="direct").json()
    assert body["transfer"] == "server"
    refused = ask_parts(up, body["id"], [{"index": 0, "sha256": b64_sha256(b"x")}])
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "direct_transfer"


@pytest.mark.parametrize("parts, field", [
    ([], "parts"),
    ([{"index": 5, "sha256": "A" * 43 + "="}], "parts[0].index"),
    ([{"index": 0, "sha256": "not base64 of 32 bytes at all, no no no no!"}], "parts[0].sha256"),
    ([{"index": 0, "sha256": "A" * 43 + "=", "extra": 1}], "parts"),
    ([{"index": "0", "sha256": "A" * 43 + "="}], "parts"),
])
def test_part_requests_are_validated(up, settings, parts, field):
    settings.QARION_UPLOAD_DIRECT = True
    upload_id = up.start(file_name="model.bin", total_size=PART, transfer="direct").json()["id"]
    response = ask_parts(up, upload_id, parts)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] in ("validation_error", "chunk_index_out_of_range")
    assert any(key.startswith(field.split("[")[0]) for key in error["details"]), error


def test_an_unknown_transfer_is_refused(up):
    response = up.start(file_name="model.bin", total_size=PART, transfer="carrier-pigeon")
    assert response.status_code == 400 and "transfer" in response.json()["error"]["details"]


# --- faults, downloads and health -------------------------------------------------------------

def test_an_object_store_that_does_not_answer_gets_a_503_and_nothing_is_recorded(up, settings):
    options = settings.STORAGES["artifacts"]["OPTIONS"]
    settings.STORAGES = {**settings.STORAGES, "artifacts": {**settings.STORAGES["artifacts"], "OPTIONS": {
        **options, "endpoint_url": "http://127.0.0.1:9"}}}  # nothing listens there
    response = up.start(file_name="model.bin", total_size=PART)
    assert response.status_code == 503, response.content
    error = response.json()["error"]
    assert error["code"] == "storage_unavailable" and "nothing was lost" in error["message"]
    assert UploadSession.objects.count() == 0


def test_if_none_match_answers_304_before_the_redirect_to_the_bucket(up):
    upload_id, response = up.upload(b"weights" * 1000)
    artifact = Artifact.objects.get()
    url = f"/api/v1.0/catalog/products/{up.product_id}/model-artifacts/{artifact.pk}/download"
    fresh = up.client.get(url)
    assert fresh.status_code == 302
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in fresh["Location"]  # SigV4 by default
    cached = up.client.get(url, HTTP_IF_NONE_MATCH=fresh["ETag"])
    assert cached.status_code == 304 and cached["ETag"] == fresh["ETag"] and "Location" not in cached
    with urllib.request.urlopen(fresh["Location"], timeout=10) as answer:
        assert hashlib.sha256(answer.read()).hexdigest() == artifact.sha256


def test_health_checks_the_bucket(client, db, s3_store, settings):
    assert client.get("/health/").json()["checks"]["storage"] == {"status": "ok", "backend": "s3"}
    options = settings.STORAGES["artifacts"]["OPTIONS"]
    settings.STORAGES = {**settings.STORAGES, "artifacts": {**settings.STORAGES["artifacts"], "OPTIONS": {
        **options, "bucket_name": "no-such-bucket-here"}}}
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"]["status"] == "down"


# --- local storage: staging on another filesystem ----------------------------------------------

def test_staging_on_another_filesystem_moves_in_by_a_streamed_copy(api_as, world, monkeypatch, local_storage):
    real_replace = os.replace

    def across_devices(src, dst):
        if str(src).endswith(".part"):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", across_devices)
    data = payload(3 * MiB + 3)
    upload_id, response = Uploader(api_as("editor"), world.record.pk).upload(data)
    assert response.status_code == 201, response.content
    artifact = Artifact.objects.get()
    path = storage.local_path(artifact.storage_key)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == hashlib.sha256(data).hexdigest()
    assert staging_files() == []
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".incoming-")]


def test_the_session_list_and_the_artifacts_tab_show_what_the_bucket_holds(up, settings, client_as, world):
    settings.QARION_UPLOAD_DIRECT = True
    data = payload(2 * PART + 1)
    upload_id = up.start(file_name="model.bin", total_size=len(data), transfer="direct").json()["id"]
    chunks = [data[:PART], data[PART:2 * PART], data[2 * PART:]]
    parts = ask_parts(up, upload_id, [{"index": i, "sha256": b64_sha256(c)} for i, c in enumerate(chunks)]).json()["parts"]
    for part in parts[:2]:
        assert put_to_bucket(part, chunks[part["index"]]) == 200
    [listed] = up.client.get(uploads_url(up.product_id)).json()
    assert listed["received_chunks"] == [0, 1] and listed["received_bytes"] == 2 * PART
    from django.urls import reverse

    page = client_as("editor").get(reverse("modelrepo:model_tab", kwargs={"product_id": world.record.pk,
                                                                          "tab": "artifacts"}))
    assert page.status_code == 200 and "2/3 chunks" in page.content.decode()


def test_a_resumed_download_whose_if_range_matches_gets_its_range_from_the_server(up):
    data = payload(3 * MiB + 11)
    up.upload(data)
    artifact = Artifact.objects.get()
    url = f"/api/v1.0/catalog/products/{up.product_id}/model-artifacts/{artifact.pk}/download"
    etag = up.client.get(url)["ETag"]

    resumed = up.client.get(url, HTTP_RANGE="bytes=1000-2999", HTTP_IF_RANGE=etag)
    assert resumed.status_code == 206 and resumed["Content-Range"] == f"bytes 1000-2999/{len(data)}"
    assert b"".join(resumed.streaming_content) == data[1000:3000]
    assert resumed["ETag"] == etag

    tail = up.client.get(url, HTTP_RANGE="bytes=-5", HTTP_IF_RANGE=etag)
    assert b"".join(tail.streaming_content) == data[-5:]
    beyond = up.client.get(url, HTTP_RANGE=f"bytes={len(data)}-", HTTP_IF_RANGE=etag)
    assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{len(data)}"
    # Without If-Range, or with another file's ETag, the bucket answers (it handles Range itself).
    assert up.client.get(url, HTTP_RANGE="bytes=0-9").status_code == 302
    assert up.client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"other"').status_code == 302


def test_a_failed_upload_whose_store_does_not_answer_is_cleaned_up_by_the_expiry(up, s3_bucket, monkeypatch):
    data = payload(PART + 5)
    upload_id = up.start(file_name="model.bin", total_size=len(data), expected_sha256="0" * 64).json()["id"]
    up.send_all(upload_id, data, PART)
    real_delete = storage.ObjectStore.delete

    def store_down(self, key):
        raise storage.StoreUnavailable("connection refused")

    monkeypatch.setattr(storage.ObjectStore, "delete", store_down)
    response = up.complete(upload_id)
    assert response.status_code == 409 and response.json()["error"]["code"] == "checksum_mismatch"
    session = UploadSession.objects.get(pk=upload_id)
    assert session.status == SessionStatus.FAILED and not session.staging_purged
    assert objects(s3_bucket)  # the completed object is still there, and known to be

    monkeypatch.setattr(storage.ObjectStore, "delete", real_delete)
    services.expire_sessions()
    assert UploadSession.objects.get(pk=upload_id).staging_purged
    assert objects(s3_bucket) == [] and pending_uploads(s3_bucket) == []
