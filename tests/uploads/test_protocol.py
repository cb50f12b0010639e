"""The upload protocol of API.md, status code by status code."""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from modelrepo.models import Artifact
from tests.uploads.conftest import MiB, digest_header, payload, uploads_url
from uploads import services, staging
from uploads.models import UploadSession


def test_start_answers_201_with_the_session_plan(uploader):
    up = uploader()
    response = up.start(file_name="model.safetensors", total_size=3 * MiB + 5)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "open"
    assert body["chunk_size"] == MiB
    assert body["total_chunks"] == 4
    assert body["received_chunks"] == [] and body["received_bytes"] == 0
    assert body["artifact_id"] is None and body["error"] is None
    for key in ["id", "file_name", "content_type", "total_size", "artifact_kind", "expected_sha256", "expires_at",
                "version_id", "training_run_id", "make_current"]:
        assert key in body


def test_the_chunk_size_grows_only_as_far_as_needed_to_stay_under_10000_chunks(uploader, settings):
    settings.QARION_UPLOAD_MAX_SIZE = 10 ** 13
    body = uploader().start(file_name="big.bin", total_size=20_000 * MiB + 1).json()
    assert body["total_chunks"] <= 10_000
    assert body["chunk_size"] == -(-(20_000 * MiB + 1) // 10_000)


def test_start_refuses_a_file_over_the_maximum_with_413(uploader, settings):
    settings.QARION_UPLOAD_MAX_SIZE = 10 * MiB
    response = uploader().start(file_name="huge.bin", total_size=10 * MiB + 1)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "upload_too_large"
    assert not UploadSession.objects.exists()


@pytest.mark.parametrize("body,field", [
    ({"artifact_kind": "firmware"}, "artifact_kind"),
    ({"expected_sha256": "abc"}, "expected_sha256"),
    ({"expected_sha256": "g" * 64}, "expected_sha256"),
    ({"total_size": 0}, "total_size"),
    ({"total_size": -5}, "total_size"),
    ({"total_size": "lots"}, "total_size"),
    ({"file_name": "../etc/passwd"}, "file_name"),
    ({"file_name": "dir/model.bin"}, "file_name"),
    ({"file_name": "dir\\model.bin"}, "file_name"),
    ({"file_name": "model\x00.bin"}, "file_name"),
    ({"file_name": "model\n.bin"}, "file_name"),
    ({"file_name": "model\x1b[31m.bin"}, "file_name"),
    ({"file_name": ".."}, "file_name"),
    ({"file_name": ""}, "file_name"),
    ({"content_type": "not a type"}, "content_type"),
    ({"version_id": "7d5c1a47-0000-0000-0000-000000000000"}, "version_id"),
])
def test_start_refuses_bad_input_with_400_naming_the_field(uploader, body, field):
    request = {"file_name": "model.bin", "total_size": 10, **body}
    response = uploader().start(**request)
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert field in error["details"]
    assert error["message"]
    assert not UploadSession.objects.exists()


def test_start_refuses_a_body_that_is_not_json(api_as, world):
    client = api_as("editor")
    response = client.generic("POST", f"/api/v1.0/catalog/products/{world.record.pk}/model-artifacts/uploads",
                              "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"


@pytest.mark.usefixtures("local_storage")  # a test of the local backend
def test_a_whole_upload_creates_one_artifact_with_the_servers_checksum(uploader):
    up = uploader()
    data = payload(3 * MiB + 123)
    upload_id, response = up.upload(data, file_name="weights.bin", expected_sha256=hashlib.sha256(data).hexdigest())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "completed"
    artifact = Artifact.objects.get(pk=body["artifact_id"])
    assert artifact.sha256 == hashlib.sha256(data).hexdigest()
    assert body["artifact"]["sha256"] == artifact.sha256 and body["artifact"]["id"] == str(artifact.pk)
    assert body["artifact"]["download_url"].endswith(f"/model-artifacts/{artifact.pk}/download")
    assert artifact.size_bytes == len(data)
    assert artifact.file_name == "weights.bin" and artifact.upload_status == "completed"
    assert not staging.staging_path(UploadSession.objects.get().id).exists()
    from modelrepo import storage
    assert storage.local_path(artifact.storage_key).read_bytes() == data


@pytest.mark.usefixtures("local_storage")  # a test of the local backend
def test_assembly_makes_the_file_durable_with_one_fsync_of_the_file_and_one_of_its_directory(uploader, monkeypatch):
    from modelrepo import storage

    synced = []
    real = storage.fsync_path
    monkeypatch.setattr(storage, "fsync_path", lambda path: (synced.append(path), real(path)))
    up = uploader()
    data = payload(2 * MiB + 5)
    upload_id, response = up.upload(data)
    assert response.status_code == 201, response.content
    stored = storage.local_path(Artifact.objects.get().storage_key)
    # The file is synced under its staging name (beside the hashing pass), then renamed.
    assert synced == [staging.staging_path(UploadSession.objects.get().id), stored.parent]
    assert stored.read_bytes() == data


def test_chunks_may_arrive_out_of_order(uploader):
    up = uploader()
    data = payload(4 * MiB - 7, seed=3)
    upload_id = up.start(file_name="m.bin", total_size=len(data)).json()["id"]
    up.send_all(upload_id, data, MiB, order=[3, 1, 0, 2])
    assert up.get(upload_id).json()["received_chunks"] == [0, 1, 2, 3]
    response = up.complete(upload_id)
    assert response.status_code == 201
    assert Artifact.objects.get().sha256 == hashlib.sha256(data).hexdigest()


def test_a_chunk_receipt_counts_what_arrived(uploader):
    up = uploader()
    data = payload(2 * MiB)
    upload_id = up.start(file_name="m.bin", total_size=len(data)).json()["id"]
    response = up.put(upload_id, 1, data[MiB:])
    assert response.status_code == 200
    assert response.json() == {"chunk_index": 1, "size": MiB, "sha256": hashlib.sha256(data[MiB:]).hexdigest(),
                               "received_count": 1, "received_bytes": MiB}


def test_a_chunk_of_the_wrong_size_is_refused(uploader):
    up = uploader()
    upload_id = up.start(file_name="m.bin", total_size=2 * MiB + 10).json()["id"]
    assert up.put(upload_id, 0, b"x" * (MiB - 1)).json()["error"]["code"] == "chunk_size_mismatch"
    last = up.put(upload_id, 2, b"x" * 11)
    assert last.status_code == 400 and last.json()["error"]["code"] == "chunk_size_mismatch"
    assert "exactly 10 bytes" in last.json()["error"]["details"]["chunk"][0]
    assert up.put(upload_id, 2, b"x" * 10).status_code == 200


@pytest.mark.parametrize("index", ["3", "-1", "1000000", "one", "1.5", "0x1"])
def test_a_chunk_index_out_of_range_or_not_a_whole_number_is_refused(uploader, index):
    up = uploader()
    upload_id = up.start(file_name="m.bin", total_size=3 * MiB).json()["id"]
    response = up.put(upload_id, index, b"x" * MiB)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "chunk_index_out_of_range"


def test_a_chunk_whose_digest_differs_is_refused_and_not_received(uploader):
    up = uploader()
    data = payload(MiB)
    upload_id = up.start(file_name="m.bin", total_size=MiB).json()["id"]
    response = up.put(upload_id, 0, data, HTTP_CONTENT_DIGEST=digest_header(b"something else"))
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "chunk_digest_mismatch"
    assert up.get(upload_id).json()["received_chunks"] == []
    assert up.put(upload_id, 0, data, HTTP_CONTENT_DIGEST=digest_header(data)).status_code == 200
    assert up.get(upload_id).json()["received_chunks"] == [0]


def test_a_malformed_content_digest_is_refused(uploader):
    up = uploader()
    upload_id = up.start(file_name="m.bin", total_size=MiB).json()["id"]
    response = up.put(upload_id, 0, b"x" * MiB, HTTP_CONTENT_DIGEST="sha-256=nope")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_digest"


def test_a_re_sent_chunk_replaces_the_earlier_bytes(uploader):
    up = uploader()
    data = payload(2 * MiB, seed=9)
    upload_id = up.start(file_name="m.bin", total_size=len(data)).json()["id"]
    assert up.put(upload_id, 0, b"\0" * MiB).status_code == 200
    up.send_all(upload_id, data, MiB)
    assert up.complete(upload_id, expected_sha256=hashlib.sha256(data).hexdigest()).status_code == 201


def test_complete_with_missing_chunks_lists_them(uploader):
    up = uploader()
    data = payload(4 * MiB)
    upload_id = up.start(file_name="m.bin", total_size=len(data)).json()["id"]
    up.put(upload_id, 1, data[MiB:2 * MiB])
    response = up.complete(upload_id)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "missing_chunks"
    assert error["details"]["missing"] == [0, 2, 3]
    assert UploadSession.objects.get().status == "open"


def test_a_checksum_mismatch_keeps_the_bytes_and_a_retry_with_the_right_checksum_succeeds(uploader):
    up = uploader()
    data = payload(2 * MiB + 1)
    right = hashlib.sha256(data).hexdigest()
    upload_id = up.start(file_name="m.bin", total_size=len(data), expected_sha256="0" * 64).json()["id"]
    up.send_all(upload_id, data, MiB)
    response = up.complete(upload_id)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "checksum_mismatch"
    assert error["details"]["expected_sha256"] == "0" * 64
    assert error["details"]["actual_sha256"] == right
    assert error["details"]["session"]["status"] == "open"
    state = up.get(upload_id).json()
    assert state["status"] == "open" and state["error"]["code"] == "checksum_mismatch"
    assert not Artifact.objects.exists()
    retry = up.complete(upload_id, expected_sha256=right)
    assert retry.status_code == 201, retry.content
    assert retry.json()["error"] is None
    assert Artifact.objects.get().sha256 == right


def test_complete_called_twice_answers_the_same_session(uploader):
    up = uploader()
    upload_id, first = up.upload(payload(MiB + 1))
    second = up.complete(upload_id)
    assert second.status_code == 200
    assert second.json()["artifact_id"] == first.json()["artifact_id"]
    assert Artifact.objects.count() == 1


def test_chunks_after_completion_are_refused_with_409(uploader):
    up = uploader()
    upload_id, _ = up.upload(payload(MiB))
    response = up.put(upload_id, 0, b"x" * MiB)
    assert response.status_code == 409 and response.json()["error"]["code"] == "upload_not_open"


def test_abort_removes_the_staged_bytes_and_closes_the_session(uploader):
    up = uploader()
    upload_id = up.start(file_name="m.bin", total_size=2 * MiB).json()["id"]
    up.put(upload_id, 0, b"x" * MiB)
    path = staging.staging_path(UploadSession.objects.get().id)
    assert path.exists()
    assert up.abort(upload_id).status_code == 204
    assert not path.exists()
    assert up.get(upload_id).json()["status"] == "aborted"
    assert up.put(upload_id, 1, b"x" * MiB).json()["error"]["code"] == "upload_not_open"
    assert up.complete(upload_id).status_code == 409


def test_an_expired_session_answers_410_and_its_bytes_are_deleted_by_the_periodic_task(uploader):
    up = uploader()
    upload_id = up.start(file_name="m.bin", total_size=2 * MiB).json()["id"]
    up.put(upload_id, 0, b"x" * MiB)
    session = UploadSession.objects.get()
    UploadSession.objects.filter(pk=session.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    chunk = up.put(upload_id, 1, b"x" * MiB)
    assert chunk.status_code == 410
    assert chunk.json()["error"]["code"] == "upload_expired"
    assert "start a new upload session" in chunk.json()["error"]["message"]
    assert up.complete(upload_id).status_code == 410
    state = up.get(upload_id)
    assert state.status_code == 200 and state.json()["status"] == "expired"
    assert staging.staging_path(session.id).exists()
    services.expire_sessions()
    assert not staging.staging_path(session.id).exists()


def test_the_periodic_task_expires_sessions_nobody_touches(uploader):
    up = uploader()
    up.start(file_name="m.bin", total_size=MiB)
    session = UploadSession.objects.get()
    UploadSession.objects.filter(pk=session.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.expire_sessions() == 1
    session.refresh_from_db()
    assert session.status == "expired" and session.staging_purged
    assert not staging.staging_path(session.id).exists()


def test_each_chunk_moves_the_expiry_forward(uploader):
    up = uploader()
    upload_id = up.start(file_name="m.bin", total_size=2 * MiB).json()["id"]
    soon = timezone.now() + timedelta(seconds=30)
    UploadSession.objects.filter(pk=upload_id).update(expires_at=soon)
    up.put(upload_id, 0, b"x" * MiB)
    assert UploadSession.objects.get(pk=upload_id).expires_at > soon + timedelta(hours=1)


def test_the_open_sessions_list_shows_progress_for_resume(uploader):
    up = uploader()
    upload_id = up.start(file_name="m.bin", total_size=3 * MiB).json()["id"]
    up.put(upload_id, 2, b"x" * MiB)
    listed = up.client.get(f"/api/v1.0/catalog/products/{up.product_id}/model-artifacts/uploads").json()
    assert [(s["id"], s["received_chunks"], s["received_bytes"]) for s in listed] == [(upload_id, [2], MiB)]


def test_a_malformed_or_unknown_upload_id_is_404(uploader):
    up = uploader()
    assert up.get("not-a-uuid").status_code == 404
    assert up.get("7d5c1a47-1111-4111-8111-000000000000").status_code == 404


@pytest.mark.parametrize("field,value,message", [
    ("total_size", "100", "Send a whole number (a JSON number, not a string or a boolean)."),
    ("total_size", True, "Send a whole number (a JSON number, not a string or a boolean)."),
    ("make_current", "yes", "Send true or false (a JSON boolean)."),
    ("make_current", 1, "Send true or false (a JSON boolean)."),
    ("chunk_size", 1024, "Unknown field; the schema at /api/schema/ lists the accepted fields."),
])
def test_start_takes_json_types_as_the_schema_gives_them_and_no_unknown_field(uploader, field, value, message):
    body = {"file_name": "model.bin", "total_size": 100, "artifact_kind": "weights", field: value}
    response = uploader().client.post(uploads_url(uploader().product_id), body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["details"][field] == [message]
    assert not UploadSession.objects.exists()
