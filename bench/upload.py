"""Upload/download benchmark on loopback, served by gunicorn as deployed.

    .venv/bin/python bench/upload.py [--size-mib 1024] [--parallel 4] [--workers 6]

Starts gunicorn on 127.0.0.1 with a fresh data directory (embedded shape: SQLite, local
storage), creates a record and a token, then uploads a file in parallel chunks, completes
it, downloads it, and prints: upload MB/s end to end, completion latency, download MB/s,
the server's peak RSS growth, and as references the `cp` time of the file and Python's
hashlib time with a page-aligned buffer. Prints figures only; asserts nothing."""

import argparse
import hashlib
import http.client
import json
import mmap
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
MiB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def aligned_sha256(path: Path) -> tuple[str, float]:
    buf = mmap.mmap(-1, 8 * MiB)
    view = memoryview(buf)
    h = hashlib.sha256()
    t0 = time.perf_counter()
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buf):
            h.update(view[:n])
    elapsed = time.perf_counter() - t0
    view.release()
    buf.close()
    return h.hexdigest(), elapsed


def rss_kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def process_tree(pid: int) -> list[int]:
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    for child in children:
        pids.extend(process_tree(int(child)))
    return pids


SETUP = """
import django, os
django.setup()
from django.contrib.auth import get_user_model
from catalog.models import Organization, Space, SpaceMembership
from catalog import services as c
from modelrepo import services as m
u = get_user_model().objects.create_user("bench", password="bench-pass-123")
org = Organization.objects.create(slug="bench", name="Bench")
space = Space.objects.create(organization=org, slug="bench", name="Bench")
SpaceMembership.objects.create(user=u, space=space, role="editor")
p = m.model_record_create(actor=u, space=space, data={"name": "Bench model"})
_, secret = c.api_token_create(actor=u, name="bench", scope="write")
print(p.pk, secret)
"""


class Api:
    def __init__(self, port, token):
        self.port, self.token = port, token

    def conn(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)

    def json(self, method, path, body=None):
        c = self.conn()
        c.request(method, path, json.dumps(body) if body is not None else None,
                  {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"})
        r = c.getresponse()
        data = json.loads(r.read() or b"null")
        c.close()
        return r.status, data


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--workers", type=int, default=6)
    parser.add_argument("--chunk-mib", type=int, default=16)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="qarion-bench-"))
    env = {**os.environ, "QARION_DATA_DIR": str(work / "data"), "DJANGO_SETTINGS_MODULE": "qarion.settings",
           "QARION_UPLOAD_CHUNK_SIZE": str(args.chunk_mib * MiB), "DEBUG": "false", "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING")}
    env.pop("DATABASE_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    server = None
    try:
        subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
        out = subprocess.run([PY, "-c", SETUP], cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
        product_id, token = out.split()
        source = work / "source.bin"
        with open(source, "wb") as f:
            block = os.urandom(MiB)
            for _ in range(args.size_mib):
                f.write(block[::-1] if _ % 2 else block)  # cheap, not constant
        size = source.stat().st_size
        subprocess.run(["sync"], check=False)

        t0 = time.perf_counter()
        shutil.copyfile(source, work / "copy.bin")
        os.sync()
        cp_seconds = time.perf_counter() - t0
        (work / "copy.bin").unlink()
        expected_sha, hash_seconds = aligned_sha256(source)

        port = free_port()
        server = subprocess.Popen(
            [str(Path(PY).parent / "gunicorn"), "qarion.wsgi", "--bind", f"127.0.0.1:{port}", "--workers",
             str(args.workers), "--timeout", "300", "--log-level", "warning"],
            cwd=ROOT, env=env, start_new_session=True)
        api = Api(port, token)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        api.json("GET", "/health/")
        time.sleep(1)
        pids = process_tree(server.pid)
        baseline = {pid: rss_kib(pid, "VmRSS") for pid in pids}

        base = f"/api/v1.0/catalog/products/{product_id}/model-artifacts/uploads"
        t_start = time.perf_counter()
        status, session = api.json("POST", base, {"file_name": "bench.bin", "total_size": size,
                                                  "artifact_kind": "weights", "expected_sha256": expected_sha})
        assert status == 201, session
        chunk, n = session["chunk_size"], session["total_chunks"]
        errors = []

        def sender(indexes):
            c = api.conn()
            with open(source, "rb", buffering=0) as f:
                for i in indexes:
                    length = min(chunk, size - i * chunk)
                    f.seek(i * chunk)
                    c.putrequest("PUT", f"{base}/{session['id']}/chunks/{i}")
                    c.putheader("Authorization", f"Bearer {token}")
                    c.putheader("Content-Type", "application/octet-stream")
                    c.putheader("Content-Length", str(length))
                    c.endheaders()
                    left = length
                    while left:
                        piece = f.read(min(MiB, left))
                        c.send(piece)
                        left -= len(piece)
                    r = c.getresponse()
                    body = r.read()
                    if r.status != 200:
                        errors.append((i, r.status, body[:200]))
            c.close()

        threads = [threading.Thread(target=sender, args=(list(range(k, n, args.parallel)),)) for k in range(args.parallel)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        t_sent = time.perf_counter()
        assert not errors, errors[:3]
        status, body = api.json("POST", f"{base}/{session['id']}/complete", {})
        t_answered, complete_status = time.perf_counter(), status
        while body.get("status") not in ("completed", "failed") and time.perf_counter() - t_sent < 600:
            time.sleep(0.02)
            status, body = api.json("GET", f"{base}/{session['id']}")
        t_done = time.perf_counter()
        assert body.get("status") == "completed", body

        c = api.conn()
        t0 = time.perf_counter()
        c.request("GET", f"/api/v1.0/catalog/products/{product_id}/model-artifacts/{body['artifact_id']}/download",
                  headers={"Authorization": f"Bearer {token}"})
        r = c.getresponse()
        got, h = 0, hashlib.sha256()
        while piece := r.read(4 * MiB):
            got += len(piece)
            h.update(piece)
        download_seconds = time.perf_counter() - t0
        c.close()
        download_ok = r.status == 200 and got == size and h.hexdigest() == expected_sha

        growth = max(rss_kib(pid, "VmHWM") - baseline.get(pid, 0) for pid in process_tree(server.pid))
        mb = size / 1e6
        upload_seconds = t_done - t_start
        completion = t_done - t_sent
        print(f"file: {size / MiB:.0f} MiB, {n} chunks of {chunk / MiB:.0f} MiB, {args.parallel} senders, "
              f"gunicorn {args.workers} sync workers")
        print(f"upload end to end: {upload_seconds:.2f} s = {mb / upload_seconds:.0f} MB/s "
              f"(chunks only: {mb / (t_sent - t_start):.0f} MB/s)")
        print(f"completion latency: {completion:.2f} s (the complete call answered {complete_status} after "
              f"{t_answered - t_sent:.2f} s)")
        print(f"download: {download_seconds:.2f} s = {mb / download_seconds:.0f} MB/s, bytes and sha256 "
              f"{'match' if download_ok else 'DIFFER'}")
        print(f"server peak RSS growth (largest process): {growth / 1024:.1f} MiB")
        print(f"references: cp {cp_seconds:.2f} s ({mb / cp_seconds:.0f} MB/s); "
              f"hashlib aligned {hash_seconds:.2f} s ({mb / hash_seconds:.0f} MB/s)")
        print(f"ratios: completion / hashlib = {completion / hash_seconds:.2f}; "
              f"upload time / cp time = {upload_seconds / cp_seconds:.2f}")
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
