"""Upload/download benchmark on loopback, served by gunicorn as deployed.

    .venv/bin/python bench/upload.py [--size-mib 1024] [--parallel 4] [--workers 6] [--runs 3]

Starts gunicorn on 127.0.0.1 with a fresh data directory (embedded shape: SQLite, local
storage), creates a record and a token, then (three times by default) uploads a file in
parallel chunks, completes it and downloads it. Prints for each run and as medians: upload
MB/s end to end, completion latency, download MB/s, the server's peak RSS growth, and as
references the `cp` time of the file and Python's hashlib time with a page-aligned buffer,
both taken right before each upload. Prints figures only; asserts nothing."""

import argparse
import hashlib
import http.client
import json
import mmap
import os
import shutil
import signal
import socket
import statistics
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


def prepare(work: Path, chunk_mib: int, size_mib: int) -> tuple[dict, str, str, Path]:
    """A fresh embedded data directory under ``work`` with one record and a write token, and a
    ``size_mib`` MiB source file: (the server's environment, the record's id, the token, the file)."""
    env = {**os.environ, "QARION_DATA_DIR": str(work / "data"), "DJANGO_SETTINGS_MODULE": "qarion.settings",
           "QARION_UPLOAD_CHUNK_SIZE": str(chunk_mib * MiB), "DEBUG": "false",
           "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING")}
    env.pop("DATABASE_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    subprocess.run([PY, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    out = subprocess.run([PY, "-c", SETUP], cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
    product_id, token = out.split()
    source = work / "source.bin"
    with open(source, "wb") as f:
        block = os.urandom(MiB)
        for i in range(size_mib):
            f.write(block[::-1] if i % 2 else block)  # cheap, not constant
    return env, product_id, token, source


def serve(env: dict, workers: int):
    """gunicorn with ``workers`` sync workers on a free loopback port, once it accepts
    connections (at most 60 s): (the process, the port)."""
    port = free_port()
    server = subprocess.Popen(
        [str(Path(PY).parent / "gunicorn"), "qarion.wsgi", "--bind", f"127.0.0.1:{port}", "--workers",
         str(workers), "--timeout", "300", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    return server, port


def stop(server, work: Path) -> None:
    """Stop the server's process group (SIGTERM, then SIGKILL after 20 s) and remove ``work``."""
    if server is not None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    shutil.rmtree(work, ignore_errors=True)


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


def send_chunks(api, base, session, source, size, parallel) -> list:
    token, chunk, n = api.token, session["chunk_size"], session["total_chunks"]
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

    threads = [threading.Thread(target=sender, args=(list(range(k, n, parallel)),)) for k in range(parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def one_run(api, product_id, source, size, expected_sha, parallel) -> dict:
    """Upload, complete, wait for the artifact, download: the timings of one run."""
    base = f"/api/v1.0/catalog/products/{product_id}/model-artifacts/uploads"
    t_start = time.perf_counter()
    status, session = api.json("POST", base, {"file_name": "bench.bin", "total_size": size,
                                              "artifact_kind": "weights", "expected_sha256": expected_sha})
    assert status == 201, session
    errors = send_chunks(api, base, session, source, size, parallel)
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
              headers={"Authorization": f"Bearer {api.token}"})
    r = c.getresponse()
    got, h = 0, hashlib.sha256()
    while piece := r.read(4 * MiB):
        got += len(piece)
        h.update(piece)
    download_seconds = time.perf_counter() - t0
    c.close()
    return {
        "chunks": session["total_chunks"], "chunk_size": session["chunk_size"],
        "upload": t_done - t_start, "sending": t_sent - t_start, "completion": t_done - t_sent,
        "complete_call": t_answered - t_sent, "complete_status": complete_status, "download": download_seconds,
        "download_ok": r.status == 200 and got == size and h.hexdigest() == expected_sha,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--workers", type=int, default=6)
    parser.add_argument("--chunk-mib", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3, help="uploads of the file in a row (median printed)")
    args = parser.parse_args()
    args.runs = max(1, min(args.runs, 10))

    work = Path(tempfile.mkdtemp(prefix="qarion-bench-"))
    server = None
    try:
        env, product_id, token, source = prepare(work, args.chunk_mib, args.size_mib)
        size = source.stat().st_size
        subprocess.run(["sync"], check=False)

        server, port = serve(env, args.workers)
        api = Api(port, token)
        api.json("GET", "/health/")
        time.sleep(1)
        pids = process_tree(server.pid)
        baseline = {pid: rss_kib(pid, "VmRSS") for pid in pids}

        mb = size / 1e6
        runs = []
        for number in range(1, args.runs + 1):
            # The references are taken right before each upload, in the same conditions.
            t0 = time.perf_counter()
            shutil.copyfile(source, work / "copy.bin")
            os.sync()
            cp_seconds = time.perf_counter() - t0
            (work / "copy.bin").unlink()
            expected_sha, hash_seconds = aligned_sha256(source)
            run = one_run(api, product_id, source, size, expected_sha, args.parallel)
            run.update(cp=cp_seconds, hashlib=hash_seconds)
            runs.append(run)
            print(f"run {number}: upload {mb / run['upload']:.0f} MB/s end to end "
                  f"(chunks {mb / run['sending']:.0f} MB/s); completion {run['completion']:.2f} s "
                  f"(complete answered {run['complete_status']} after {run['complete_call']:.2f} s); "
                  f"download {mb / run['download']:.0f} MB/s {'ok' if run['download_ok'] else 'BYTES DIFFER'}; "
                  f"cp {cp_seconds:.2f} s; hashlib {hash_seconds:.2f} s; "
                  f"completion / hashlib {run['completion'] / hash_seconds:.2f}", flush=True)

        growth = max(rss_kib(pid, "VmHWM") - baseline.get(pid, 0) for pid in process_tree(server.pid))
        med = {key: statistics.median(r[key] for r in runs) for key in
               ("upload", "sending", "completion", "complete_call", "download", "cp", "hashlib")}
        ratio = statistics.median(r["completion"] / r["hashlib"] for r in runs)
        print()
        print(f"file: {size / MiB:.0f} MiB, {runs[0]['chunks']} chunks of {runs[0]['chunk_size'] / MiB:.0f} MiB, "
              f"{args.parallel} senders, gunicorn {args.workers} sync workers, embedded shape (SQLite, local "
              f"files); medians of {len(runs)} run(s)")
        print(f"upload end to end: {med['upload']:.2f} s = {mb / med['upload']:.0f} MB/s "
              f"(chunks only: {mb / med['sending']:.0f} MB/s)")
        print(f"completion latency: {med['completion']:.2f} s (the complete call answered after "
              f"{med['complete_call']:.2f} s)")
        print(f"download: {med['download']:.2f} s = {mb / med['download']:.0f} MB/s, bytes and sha256 "
              f"{'match' if all(r['download_ok'] for r in runs) else 'DIFFER'}")
        print(f"server peak RSS growth (largest process, over all runs): {growth / 1024:.1f} MiB")
        print(f"references: cp {med['cp']:.2f} s ({mb / med['cp']:.0f} MB/s); "
              f"hashlib aligned {med['hashlib']:.2f} s ({mb / med['hashlib']:.0f} MB/s)")
        print(f"ratios: completion / hashlib = {ratio:.2f} (each run against its own hashlib time); "
              f"upload time / cp time = {med['upload'] / med['cp']:.2f}")
    finally:
        stop(server, work)


if __name__ == "__main__":
    main()
