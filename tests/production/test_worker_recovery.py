"""A Celery worker killed in the middle of an object-storage assembly: the pool child doing it
is SIGKILLed once the multipart upload has been completed in the bucket and the object is being
hashed; the worker's main process forks new children, and once the assembly's lease runs out
the periodic recovery assembles the session again from the object already in the bucket. The
end state is exactly one intact artifact and one object, and no pending multipart upload."""

import os
import signal
import time

from tests.production.conftest import (
    API,
    MiB,
    Payload,
    alive,
    children,
    complete,
    object_sha256,
    send_chunks,
    session_key,
    start_upload,
    uploads_path,
    wait_for_session,
)

SIZE = 512 * MiB
WORKING_TIMEOUT = 120  # seconds for the worker to take the assembly and complete the multipart upload
RESPAWN_TIMEOUT = 60


def _object_exists(s3, bucket: str, key: str) -> bool:
    return bool(s3.list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount"))


def _multipart_pending(s3, bucket: str, key: str) -> list:
    return s3.list_multipart_uploads(Bucket=bucket, Prefix=key).get("Uploads", [])


def test_a_worker_killed_during_assembly_recovers_to_one_intact_artifact(production, api, s3, record):
    bucket = production.bucket
    payload = Payload(SIZE)
    session = start_upload(api[0], record, payload, file_name="killed-during-assembly.bin")
    key = session_key(session["id"])
    send_chunks(api, record, session, payload)
    expected = payload.sha256  # computed before the clock starts: the kill must land while the worker hashes

    worker = production.worker_pid
    before = children(worker)
    assert before, f"the Celery worker (PID {worker}) has no pool children"

    state = complete(api[0], record, session["id"])
    assert state["status"] == "assembling", f"complete answered {state['status']} instead of handing over to the worker"

    # The worker has taken the session once its multipart upload is completed into the object.
    deadline = time.monotonic() + WORKING_TIMEOUT
    working = False
    for _ in range(WORKING_TIMEOUT * 20):
        if _object_exists(s3, bucket, key) and not _multipart_pending(s3, bucket, key):
            working = True
            break
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    status = api[1].get(uploads_path(record, session["id"])).json()["status"]
    assert working, f"the worker did not complete the multipart upload within {WORKING_TIMEOUT} s (session {status})"
    assert status == "assembling", (
        f"the assembly ended ({status}) before the worker could be killed; it needs a larger file to be caught")

    victims = children(worker)
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()

    # The main process survives and forks new pool children.
    deadline = time.monotonic() + RESPAWN_TIMEOUT
    respawned = []
    for _ in range(RESPAWN_TIMEOUT * 4):
        respawned = [pid for pid in children(worker) if pid not in victims]
        if respawned or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    assert alive(worker), "the worker's main process died with its children"
    assert respawned, (
        f"the worker did not fork new pool children within {RESPAWN_TIMEOUT} s after {victims} were killed")

    lease = production.setting_int("QARION_ASSEMBLY_LEASE_SECONDS", 120)
    remaining = lease + 90 - (time.monotonic() - killed_at)
    done = wait_for_session(api[1], record, session["id"], timeout=max(remaining, 1), interval=2)
    assert done["status"] == "completed", f"the session ended {done['status']}: {done['error']}"

    artifacts = api[0].get(f"{API}/catalog/products/{record}/model-artifacts", params={"size": 100})
    assert artifacts.status_code == 200, artifacts.text
    results = artifacts.json()["results"]
    assert [a["id"] for a in results] == [done["artifact_id"]], f"expected one artifact, the record has {results}"
    assert results[0]["sha256"] == expected and results[0]["size_bytes"] == SIZE
    assert results[0]["storage"]["key"] == key

    listed = s3.list_objects_v2(Bucket=bucket, Prefix=key)
    assert [o["Key"] for o in listed.get("Contents", [])] == [key]
    assert _multipart_pending(s3, bucket, key) == []
    assert object_sha256(s3, bucket, key) == (expected, SIZE)
