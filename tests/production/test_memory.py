"""Bounded memory on the production processes: scrubbing (in the worker), verifying (in a web
node) and downloading the whole release (streamed by a web node) of a 300 MiB file each grow
no gunicorn or Celery process by more than 100 MiB.

Growth is the peak resident size during the operation (VmHWM, reset to the current size
before it through /proc/<pid>/clear_refs) minus the resident size before it (VmRSS)."""

import hashlib
import tarfile
import time
from urllib.parse import urlsplit

import pytest

from tests.production.conftest import (
    API,
    MiB,
    Payload,
    children,
    listening_pids,
    memory_kib,
    reset_peak,
    upload,
)

SIZE = 300 * MiB
LIMIT_KIB = 100 * 1024
SCRUB_TIMEOUT = 600


def service_processes(production) -> dict[int, str]:
    """Every gunicorn process of the web nodes (those holding a node's listening socket), the
    Celery worker's main process and pool children, and beat: PID → role."""
    found = {}
    for number, node in enumerate(production.nodes, start=1):
        port = urlsplit(node).port
        pids = listening_pids(port)
        assert len(pids) >= 2, f"found {pids} listening on port {port} ({node}); expected gunicorn's master and workers"
        for pid in pids:
            found[pid] = f"node {number} gunicorn"
    worker = production.worker_pid
    found[worker] = "worker main"
    pool = children(worker)
    assert pool, f"the Celery worker (PID {worker}) has no pool children"
    for pid in pool:
        found[pid] = "worker child"
    found[production.beat_pid] = "beat"
    return found


class MemoryWatch:
    """Resident sizes of the service processes before an operation and their peaks during it."""

    def __init__(self, production):
        self.production = production

    def __enter__(self):
        self.roles = service_processes(self.production)
        self.before = {}
        for pid in self.roles:
            memory = memory_kib(pid)
            if memory:
                self.before[pid] = (memory, reset_peak(pid))
        return self

    def __exit__(self, *exc):
        return False

    def growth(self) -> list[tuple[int, str, int, int, int]]:
        """(pid, role, RSS before, peak, growth) in KiB for every process seen before or after."""
        roles = {**self.roles, **service_processes(self.production)}
        rows = []
        for pid, role in sorted(roles.items()):
            after = memory_kib(pid)
            if not after:
                continue
            if pid in self.before:
                before, was_reset = self.before[pid]
                base = before["VmRSS"]
                # Without the reset, a peak above the earlier one happened during the operation;
                # otherwise only the size after it is known.
                peak = after["VmHWM"] if was_reset or after["VmHWM"] > before["VmHWM"] else after["VmRSS"]
            else:  # started during the operation: compared with its siblings' size before
                siblings = [b["VmRSS"] for p, (b, _) in self.before.items() if self.roles.get(p) == role]
                base = min(siblings) if siblings else 0
                peak = after["VmHWM"]
            rows.append((pid, role, base, peak, peak - base))
        return rows

    def check(self, what: str) -> None:
        rows = self.growth()
        table = "\n".join(f"  {role:<16} pid {pid:>7}: {base / 1024:7.1f} MiB before, peak {peak / 1024:7.1f} MiB, "
                          f"growth {grown / 1024:7.1f} MiB" for pid, role, base, peak, grown in rows)
        worst = max(rows, key=lambda row: row[4])
        assert worst[4] <= LIMIT_KIB, f"{what} grew {worst[1]} (pid {worst[0]}) by more than 100 MiB:\n{table}"


@pytest.fixture(scope="module")
def release(production, api, bucket_http, place):
    """A record whose version 1.0.0 holds a 300 MiB file, released."""
    response = api[0].post(f"{API}/catalog/spaces/{place.space}/model-repository/models",
                           json={"name": f"Prodtest memory {time.time_ns()}"})
    assert response.status_code == 201, response.text
    record = response.json()["id"]
    version = api[0].post(f"{API}/catalog/products/{record}/model-versions", json={"label": "1.0.0"})
    assert version.status_code == 201, version.text
    version_id = version.json()["id"]
    payload = Payload(SIZE)
    session = upload(api, bucket_http, record, payload, file_name="weights.bin", transfer="direct",
                     version_id=version_id)
    # Released, verified and downloaded on the same node: this module is about memory, and
    # test_signing.py about a release on one node checked on the other.
    released = api[0].post(f"{API}/catalog/products/{record}/model-versions/{version_id}/release")
    assert released.status_code == 200, released.text
    return {"record": record, "version_id": version_id, "artifact_id": session["artifact_id"], "payload": payload}


def test_scrubbing_a_300_mib_object_keeps_the_worker_small(production, api, release):
    artifact_url = f"{API}/catalog/products/{release['record']}/model-artifacts/{release['artifact_id']}"
    checked_before = api[0].get(artifact_url).json()["last_verified_at"]
    with MemoryWatch(production) as watch:
        # Every stored artifact, oldest check first: the new one comes last, and is then checked.
        production.send_task("modelrepo.tasks.scrub_artifacts", {"batch_size": 10000})
        deadline = time.monotonic() + SCRUB_TIMEOUT
        artifact = {}
        for _ in range(SCRUB_TIMEOUT):
            artifact = api[0].get(artifact_url).json()
            if artifact["last_verified_at"] != checked_before or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert artifact["last_verified_at"] != checked_before, (
            f"the scrub did not reach the artifact within {SCRUB_TIMEOUT} s")
        assert artifact["integrity"] == "verified", artifact
    watch.check("scrubbing")


def test_verifying_a_300_mib_release_keeps_the_web_node_small(production, api, release):
    with MemoryWatch(production) as watch:
        url = f"{API}/catalog/products/{release['record']}/model-versions/{release['version_id']}/verify"
        response = api[0].post(url)
        assert response.status_code == 200, response.text
        report = response.json()
        assert report["valid"] is True, report
        assert [f["status"] for f in report["files"]] == ["ok"]
    watch.check("verifying")


def test_downloading_a_300_mib_release_archive_keeps_the_web_node_small(production, api, release, tmp_path):
    archive = tmp_path / "release.tar"
    with MemoryWatch(production) as watch:
        url = f"{API}/catalog/products/{release['record']}/model-versions/{release['version_id']}/download-all"
        with api[0].stream("GET", url) as response, open(archive, "wb") as out:
            assert response.status_code == 200, response.read()[:500]
            assert response.headers["Content-Type"] == "application/x-tar"
            for piece in response.iter_bytes(MiB):
                out.write(piece)
    watch.check("downloading the release archive")
    with tarfile.open(archive) as tar:
        members = {m.name.rsplit("/", 1)[-1]: m for m in tar.getmembers() if m.isfile()}
        assert sorted(members) == ["model.sig", "weights.bin"]
        digest, handle = hashlib.sha256(), tar.extractfile(members["weights.bin"])
        for piece in iter(lambda: handle.read(MiB), b""):
            digest.update(piece)
    assert digest.hexdigest() == release["payload"].sha256
