"""The upload path against PostgreSQL, Redis and real Celery worker processes: a parallel
upload assembled by a worker, and an assembly whose worker is SIGKILLed mid-way being
finished by another worker once the lease runs out (not after Redis' visibility timeout)."""

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from catalog import services as catalog_services
from modelrepo import storage
from modelrepo.models import Artifact
from tests.integration.conftest import REPO, _log_tail, _stop, database_url_for
from tests.uploads.conftest import MiB, Uploader
from uploads.models import UploadSession

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def shared_dirs(settings):
    """Staging and storage where worker processes look for them: the data directory with local
    storage; with object storage the workers share only the bucket, which the environment names."""
    data = Path(settings.DATA_DIR)
    settings.QARION_UPLOAD_STAGING_DIR = data / "staging"
    if settings.QARION_STORAGE == "local":
        storages = dict(settings.STORAGES)
        storages["artifacts"] = {**storages["artifacts"], "OPTIONS": {**storages["artifacts"]["OPTIONS"],
                                                                      "location": str(settings.ARTIFACT_ROOT)}}
        settings.STORAGES = storages
    settings.QARION_UPLOAD_CHUNK_SIZE = 4 * MiB  # 5 MiB on object storage, S3's smallest part
    return data


def _downloaded_sha256(response) -> str:
    """The sha256 of a download: served by the server (local storage), or by the bucket the
    answer redirects to (object storage)."""
    digest = hashlib.sha256()
    if response.status_code == 302:
        import urllib.request

        with urllib.request.urlopen(response["Location"], timeout=60) as answer:
            while piece := answer.read(MiB):
                digest.update(piece)
        return digest.hexdigest()
    assert response.status_code == 200
    for piece in response.streaming_content if response.streaming else [response.content]:
        digest.update(piece)
    return digest.hexdigest()


def _random_file(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        left = size
        while left:
            piece = os.urandom(min(4 * MiB, left))
            f.write(piece)
            digest.update(piece)
            left -= len(piece)
    return digest.hexdigest()


def _client_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {catalog_services.api_token_create(actor=user, name=f'w{time.time()}', scope='write')[1]}")
    return client


def _send_in_parallel(up: Uploader, upload_id: str, path: Path, chunk: int, total: int, senders: int = 4):
    errors = []

    def send(indexes):
        try:
            with open(path, "rb") as f:
                for i in indexes:
                    f.seek(i * chunk)
                    response = up.put(upload_id, i, f.read(chunk))
                    if response.status_code != 200:
                        errors.append((i, response.status_code))
        finally:
            connection.close()  # this thread's own connection, so the test database can be dropped

    threads = [threading.Thread(target=send, args=(list(range(k, total, senders)),)) for k in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == []


def _wait_for(predicate, seconds: float, step: float = 0.05):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def test_a_64_mib_upload_in_parallel_chunks_is_assembled_by_the_worker(world, shared_dirs, celery_worker, tmp_path):
    source = tmp_path / "source.bin"
    expected = _random_file(source, 64 * MiB)
    up = Uploader(_client_for(world.editor), world.record.pk)
    started = up.start(file_name="weights.safetensors", total_size=64 * MiB, expected_sha256=expected)
    assert started.status_code == 201, started.content
    upload_id, chunk, total = started.json()["id"], started.json()["chunk_size"], started.json()["total_chunks"]
    assert chunk == max(4 * MiB, storage.MIN_PART_SIZE if settings.QARION_STORAGE == "s3" else 0)
    assert total == -(-64 * MiB // chunk)
    _send_in_parallel(up, upload_id, source, chunk, total)
    completed = up.complete(upload_id)
    assert completed.status_code == 202, completed.content
    assert completed.json()["status"] == "assembling"
    assert _wait_for(lambda: up.get(upload_id).json()["status"] in ("completed", "failed"), 60)
    state = up.get(upload_id).json()
    assert state["status"] == "completed", state
    artifact = Artifact.objects.get(pk=state["artifact_id"])
    download = up.client.get(f"/api/v1.0/catalog/products/{world.record.pk}/model-artifacts/{artifact.pk}/download")
    assert _downloaded_sha256(download) == expected == artifact.sha256


def _start_worker(env, queue: str, log: Path, node: str, beat_schedule: Path | None = None):
    command = [sys.executable, "-m", "celery", "-A", "qarion", "worker", "--pool=solo", "--concurrency=1",
               "-Q", queue, "--hostname", node, "--loglevel=INFO",
               "--without-gossip", "--without-mingle"]
    if beat_schedule is not None:
        command += ["--beat", "--schedule", str(beat_schedule)]
    with open(log, "ab") as out:
        return subprocess.Popen(command, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def test_an_assembly_whose_worker_is_killed_is_taken_over_by_a_new_worker_within_the_lease_without_beat(
        world, shared_dirs, tmp_path):
    """No beat runs: the new worker looks at the assemblies under way when it starts, and its
    task takes over once the dead worker's lease runs out (lease + 15 s at most)."""
    from qarion.celery import app

    queue = f"kill-test-{os.getpid()}"
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": database_url_for(os.environ["DATABASE_URL"], settings.DATABASES["default"]["NAME"]),
        "QARION_TASK_QUEUE": queue,
        "QARION_ASSEMBLY_LEASE_SECONDS": "5",
    })
    log = tmp_path / "workers.log"
    size = 1024 * MiB
    source = tmp_path / "big.bin"
    expected = _random_file(source, size)
    up = Uploader(_client_for(world.editor), world.record.pk)
    started = up.start(file_name="big.bin", total_size=size, expected_sha256=expected)
    upload_id = started.json()["id"]
    chunk = started.json()["chunk_size"]
    _send_in_parallel(up, upload_id, source, chunk, started.json()["total_chunks"], senders=2)

    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    first_node = f"{queue}-first@localhost"
    first = _start_worker(env, queue, log, first_node)
    second = None
    try:
        assert _wait_for(lambda: bool(app.control.ping(destination=[first_node], timeout=0.5)), 60, step=0.5), \
            _log_tail(log)
        assert up.complete(upload_id).status_code == 202
        claimed = _wait_for(lambda: UploadSession.objects.filter(pk=upload_id, lease_until__isnull=False,
                                                                  status="assembling").exists(), 60, step=0.01)
        assert claimed, _log_tail(log)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=20)
        session = UploadSession.objects.get(pk=upload_id)
        assert session.status == "assembling", "the assembly finished before the worker could be killed"
        killed_at = time.monotonic()

        second = _start_worker(env, queue, log, f"{queue}-second@localhost")
        taken_over = _wait_for(lambda: UploadSession.objects.filter(pk=upload_id, assembly_attempts__gte=2).exists()
                               or UploadSession.objects.get(pk=upload_id).status != "assembling", 5 + 15, step=0.2)
        took = time.monotonic() - killed_at
        assert taken_over, f"not taken over {took:.1f} s after the kill\n{_log_tail(log)}"
        finished = _wait_for(lambda: UploadSession.objects.get(pk=upload_id).status in ("completed", "failed"), 120,
                             step=0.2)
        assert finished, _log_tail(log)
    finally:
        app.conf.task_default_queue = previous_queue
        for process in (first, second):
            if process is not None:
                _stop(process)
    session = UploadSession.objects.get(pk=upload_id)
    assert session.status == "completed", session.error
    assert session.assembly_attempts >= 2
    assert Artifact.objects.filter(source_session_id=session.pk).count() == 1
    artifact = Artifact.objects.get(source_session_id=session.pk)
    assert artifact.sha256 == expected
    assert storage.artifact_store().size(artifact.storage_key) == size
    print(f"taken over {took:.1f} s after the kill")
