"""The upload hot path's query counts, pinned through the real API (token auth, the access
policy, the services) so a duplicated permission lookup or an unused prefetch fails here.

Counts are everything the database sees, savepoints included. Each test first starts one
session so the token's once-a-minute ``last_used_at`` write is out of the way."""

import hashlib

import pytest

from modelrepo.models import Artifact
from tests.uploads.conftest import MiB, payload
from uploads import services, tasks
from uploads.models import UploadSession

DATA = payload(2 * MiB + 1, seed=31)


@pytest.fixture
def up(uploader):
    up = uploader()
    assert up.start(file_name="warm-up.bin", total_size=1).status_code == 201
    return up


def _started(up) -> str:
    response = up.start(file_name="model.bin", total_size=len(DATA))
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _all_sent(up) -> str:
    upload_id = _started(up)
    up.send_all(upload_id, DATA, MiB)
    return upload_id


def test_starting_an_upload_runs_at_most_ten_queries(up, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        response = up.start(file_name="model.bin", total_size=len(DATA))
    assert response.status_code == 201, response.content
    assert response.json()["received_chunks"] == []


def test_a_chunk_put_runs_at_most_five_queries(up, django_assert_max_num_queries):
    upload_id = _started(up)
    with django_assert_max_num_queries(5):
        response = up.put(upload_id, 1, DATA[MiB:2 * MiB])
    assert response.status_code == 200, response.content
    assert response.json()["received_count"] == 1 and response.json()["received_bytes"] == MiB


def test_a_re_sent_chunk_runs_at_most_ten_queries(up, django_assert_max_num_queries):
    upload_id = _started(up)
    assert up.put(upload_id, 0, DATA[:MiB]).status_code == 200
    with django_assert_max_num_queries(10):
        response = up.put(upload_id, 0, DATA[:MiB])
    assert response.status_code == 200, response.content
    assert response.json()["received_count"] == 1


def test_completing_an_upload_runs_at_most_ten_queries_and_queues_the_assembly(
        up, settings, django_assert_max_num_queries, django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # a broker's shape: the assembly goes to a worker
    upload_id = _all_sent(up)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        with django_assert_max_num_queries(10):
            response = up.complete(upload_id)
    assert response.status_code == 202, response.content
    assert response.json()["received_chunks"] == [0, 1, 2]
    assert len(queued) == 1  # the assembly task, sent once the transaction commits


def test_the_assembly_task_runs_twelve_queries(up, django_assert_num_queries, django_capture_on_commit_callbacks):
    upload_id = _all_sent(up)
    session = UploadSession.objects.get(pk=upload_id)
    services.session_complete(actor=session.created_by, session=session)
    # The quality checks that the new artifact starts are queued on commit, and not counted here.
    with django_capture_on_commit_callbacks(execute=False):
        with django_assert_num_queries(12):
            tasks.assemble(upload_id)
    assert UploadSession.objects.get(pk=upload_id).status == "completed"
    assert Artifact.objects.get().sha256 == hashlib.sha256(DATA).hexdigest()


def test_completing_with_the_assembly_in_the_request_runs_at_most_twenty_two_queries(
        up, django_assert_max_num_queries, django_capture_on_commit_callbacks):
    upload_id = _all_sent(up)  # the embedded shape: a small file is assembled inside the complete call
    with django_capture_on_commit_callbacks(execute=False) as queued:
        with django_assert_max_num_queries(22):
            response = up.complete(upload_id)
    assert response.status_code == 201, response.content
    assert queued  # what the new artifact sets off (its quality checks) runs after the commit, not counted here
    assert response.json()["artifact"]["sha256"] == hashlib.sha256(DATA).hexdigest()
