import hashlib
import http.client
import threading
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from catalog import services as catalog_services
from modelrepo.models import Artifact
from tests.uploads.conftest import MiB, Uploader, payload, uploads_url
from uploads import services, staging
from uploads.models import UploadChunk, UploadSession


def test_anonymous_callers_get_401(api_client, world, small_chunks):
    response = api_client.post(uploads_url(world.record.pk), {"file_name": "m.bin", "total_size": 1,
                                                              "artifact_kind": "weights"}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_a_user_of_another_space_gets_404(uploader):
    assert uploader("outsider").start(file_name="m.bin", total_size=1).status_code == 404


def test_a_viewer_cannot_start_or_list_uploads(uploader):
    up = uploader("viewer")
    assert up.start(file_name="m.bin", total_size=1).status_code == 403
    assert up.client.get(uploads_url(up.product_id)).status_code == 403


@pytest.mark.parametrize("username", ["editor", "space_admin", "org_admin"])
def test_editors_and_admins_upload(uploader, username):
    upload_id, response = uploader(username).upload(payload(MiB + 3))
    assert response.status_code == 201, response.content


def test_a_read_scope_token_cannot_upload(api_as, world, small_chunks):
    up = Uploader(api_as("editor", scope="read"), world.record.pk)
    assert up.start(file_name="m.bin", total_size=1).status_code == 403


def test_other_users_sessions_are_hidden_except_from_admins(uploader, world):
    from catalog.models import SpaceMembership
    from tests.conftest import make_user
    other = make_user("editor2")
    SpaceMembership.objects.create(user=other, space=world.lab, role="editor")
    upload_id = uploader("editor").start(file_name="m.bin", total_size=MiB).json()["id"]
    client = APIClient()
    client.force_authenticate(other)
    assert client.get(uploads_url(world.record.pk, upload_id)).status_code == 404
    assert Uploader(client, world.record.pk).put(upload_id, 0, b"x" * MiB).status_code == 404
    assert not UploadChunk.objects.exists()
    assert client.get(uploads_url(world.record.pk)).json() == []
    admin = uploader("space_admin")
    assert admin.get(upload_id).status_code == 200
    assert [s["id"] for s in admin.client.get(uploads_url(world.record.pk)).json()] == [upload_id]


@pytest.mark.parametrize("username,scope,status", [
    ("outsider", "write", 404),  # cannot see the record
    ("org_member", "write", 404),
    ("viewer", "write", 403),  # sees the record, may not change it
    ("editor", "read", 403),  # a read-scope token never writes
])
def test_chunks_and_completion_answer_as_strictly_as_the_record(uploader, api_as, world, username, scope, status):
    upload_id = uploader("editor").start(file_name="m.bin", total_size=MiB).json()["id"]
    up = Uploader(api_as(username, scope=scope), world.record.pk)
    assert up.put(upload_id, 0, b"x" * MiB).status_code == status
    assert up.complete(upload_id).status_code == status
    assert up.abort(upload_id).status_code == status
    assert not UploadChunk.objects.exists()
    assert UploadSession.objects.get(pk=upload_id).status == "open"


def test_a_session_is_not_reachable_under_another_records_url(uploader, world):
    upload_id = uploader("editor").start(file_name="m.bin", total_size=MiB).json()["id"]
    from tests.conftest import make_record
    sibling = make_record(actor=world.editor, space=world.lab, name="Sibling")
    assert Uploader(uploader("editor").client, sibling.pk).get(upload_id).status_code == 404


def test_the_browser_session_needs_a_csrf_token_for_chunks(world, small_chunks):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.editor)
    response = client.post(uploads_url(world.record.pk), {"file_name": "m.bin", "total_size": 1,
                                                          "artifact_kind": "weights"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]


# --- through a real HTTP server ---------------------------------------------------------

def _token_for(user):
    return catalog_services.api_token_create(actor=user, name="http", scope="write")[1]


@pytest.fixture
def live_world(request, transactional_db):
    return request.getfixturevalue("world")


def _start_over_http(live_server, token, product_id, size):
    url = urlparse(live_server.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    import json
    conn.request("POST", uploads_url(product_id), json.dumps({"file_name": "m.bin", "total_size": size,
                                                              "artifact_kind": "weights"}),
                 {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    response = conn.getresponse()
    body = json.loads(response.read())
    conn.close()
    assert response.status == 201, body
    return body["id"]


def test_a_chunk_without_content_length_gets_411(local_storage, live_server, live_world, settings):
    settings.QARION_UPLOAD_CHUNK_SIZE = MiB
    token = _token_for(live_world.editor)
    upload_id = _start_over_http(live_server, token, live_world.record.pk, MiB)
    url = urlparse(live_server.url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    conn.putrequest("PUT", uploads_url(live_world.record.pk, upload_id, "chunks", 0))
    conn.putheader("Authorization", f"Bearer {token}")
    conn.putheader("Content-Type", "application/octet-stream")
    conn.endheaders()
    response = conn.getresponse()
    import json
    body = json.loads(response.read())
    conn.close()
    assert response.status == 411
    assert body["error"]["code"] == "length_required"


def test_chunks_sent_in_parallel_over_http_assemble_into_the_right_file(local_storage, live_server, live_world, settings):
    settings.QARION_UPLOAD_CHUNK_SIZE = MiB
    token = _token_for(live_world.editor)
    data = payload(8 * MiB + 77, seed=5)
    upload_id = _start_over_http(live_server, token, live_world.record.pk, len(data))
    url = urlparse(live_server.url)
    errors = []

    def send(indexes):
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        try:
            for i in indexes:
                body = data[i * MiB:(i + 1) * MiB]
                conn.request("PUT", uploads_url(live_world.record.pk, upload_id, "chunks", i), body,
                             {"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"})
                response = conn.getresponse()
                text = response.read()
                if response.status != 200:
                    errors.append((i, response.status, text))
        finally:
            conn.close()

    threads = [threading.Thread(target=send, args=(list(range(k, 9, 4)),)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    conn.request("POST", uploads_url(live_world.record.pk, upload_id, "complete"), b"{}",
                 {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    response = conn.getresponse()
    response.read()
    conn.close()
    assert response.status == 201
    assert Artifact.objects.get().sha256 == hashlib.sha256(data).hexdigest()


def test_two_completes_at_once_make_one_artifact_and_no_500(local_storage, live_server, live_world, settings):
    settings.QARION_UPLOAD_CHUNK_SIZE = MiB
    token = _token_for(live_world.editor)
    data = payload(3 * MiB, seed=11)
    upload_id = _start_over_http(live_server, token, live_world.record.pk, len(data))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    Uploader(client, live_world.record.pk).send_all(upload_id, data, MiB)
    url = urlparse(live_server.url)
    statuses = []

    def complete():
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        conn.request("POST", uploads_url(live_world.record.pk, upload_id, "complete"), b"{}",
                     {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        statuses.append(response.status)
        conn.close()

    threads = [threading.Thread(target=complete) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(statuses) in ([200, 201], [201, 202], [202, 202], [201, 201], [200, 202])
    assert all(s < 500 for s in statuses)
    deadline = timezone.now() + timedelta(seconds=30)
    while UploadSession.objects.get(pk=upload_id).status != "completed" and timezone.now() < deadline:
        import time
        time.sleep(0.1)
    assert UploadSession.objects.get(pk=upload_id).status == "completed"
    assert Artifact.objects.count() == 1


# --- recovery ---------------------------------------------------------------------------

def _assembling_session(uploader, data):
    up = uploader()
    upload_id = up.start(file_name="m.bin", total_size=len(data)).json()["id"]
    up.send_all(upload_id, data, MiB)
    session = UploadSession.objects.get(pk=upload_id)
    return services.session_complete(actor=None, session=session)


def test_an_assembly_whose_worker_died_is_taken_over_once_its_lease_runs_out(uploader):
    data = payload(2 * MiB, seed=21)
    session = _assembling_session(uploader, data)
    # A worker claimed it and died: the lease is held but nobody renews it.
    UploadSession.objects.filter(pk=session.pk).update(lease_until=timezone.now() + timedelta(seconds=60))
    assert services.recover_assemblies() == []
    services.session_assemble(session.pk)  # a duplicate delivery while the lease is alive does nothing
    assert UploadSession.objects.get(pk=session.pk).status == "assembling"
    UploadSession.objects.filter(pk=session.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert services.recover_assemblies() == [session.pk]
    from uploads import tasks
    assert tasks.recover_assemblies() == 1
    session.refresh_from_db()
    assert session.status == "completed"
    assert Artifact.objects.get().sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.usefixtures("local_storage")  # a test of the local backend
def test_a_crash_after_the_move_into_storage_ends_in_exactly_one_artifact(uploader):
    data = payload(2 * MiB, seed=22)
    session = _assembling_session(uploader, data)
    from modelrepo import storage
    target = storage.local_path(storage.key_for_session(session.id))
    target.parent.mkdir(parents=True, exist_ok=True)
    staging.staging_path(session.id).rename(target)  # the first attempt got this far
    services.session_assemble(session.pk)
    session.refresh_from_db()
    assert session.status == "completed"
    assert Artifact.objects.count() == 1
    assert target.read_bytes() == data


def test_a_never_claimed_assembly_is_re_enqueued_after_a_while(uploader):
    session = _assembling_session(uploader, payload(MiB, seed=23))
    UploadSession.objects.filter(pk=session.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    assert services.recover_assemblies() == [session.pk]


def test_missing_staged_bytes_fail_the_session_clearly(uploader):
    session = _assembling_session(uploader, payload(MiB, seed=24))
    staging.staging_path(session.id).unlink()
    services.session_assemble(session.pk)
    session.refresh_from_db()
    assert session.status == "failed"
    assert session.error["code"] == "staged_bytes_missing"
    assert not Artifact.objects.exists()
