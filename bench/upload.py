"""Upload/download benchmark on loopback, served by gunicorn as deployed.

    .venv/bin/python bench/upload.py [--size-mib 1024] [--parallel 4] [--workers 6] [--runs 3]
    .venv/bin/python bench/upload.py --storage s3 [--size-mib 512] [--parallel 4] [--runs 3]

Starts gunicorn on 127.0.0.1 with a fresh data directory (embedded shape: SQLite, local
storage), creates a record and a token, then (three times by default) uploads a file in
parallel chunks, completes it and downloads it. Prints for each run and as medians: upload
MB/s end to end, completion latency, download MB/s, the server's peak RSS growth, and as
references the `cp` time of the file and Python's hashlib time with a page-aligned buffer,
both taken right before each upload. Prints figures only; asserts nothing.

With ``--storage s3`` it also starts moto's S3 server on 127.0.0.1 with a fresh bucket and
runs gunicorn with ``QARION_STORAGE=s3`` (and ``QARION_UPLOAD_DIRECT=true``) against it. Each
run then uploads the same file three ways, in a rotating order: through the server (chunk
PUTs streamed into the bucket's multipart upload), directly (presigned part URLs, parts PUT to
the bucket) and, as the reference, with boto3's own ``upload_file`` (same part size, same
concurrency) to the same S3 server. Prints MB/s end to end for each, the ratios to the
reference, where the time went (sending, completion, CPU seconds of gunicorn, moto and this
script) and the server's peak RSS growth during each transfer."""

import argparse
import base64
import collections
import hashlib
import http.client
import json
import mmap
import os
import queue
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
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
MiB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(work: Path, chunk_mib: int, size_mib: int, extra_env: dict | None = None) -> tuple[dict, str, str, Path]:
    """A fresh embedded data directory under ``work`` with one record and a write token, and a
    ``size_mib`` MiB source file: (the server's environment, the record's id, the token, the file).
    ``extra_env`` adds settings (object storage, for one)."""
    env = {**os.environ, "QARION_DATA_DIR": str(work / "data"), "DJANGO_SETTINGS_MODULE": "qarion.settings",
           "QARION_UPLOAD_CHUNK_SIZE": str(chunk_mib * MiB), "DEBUG": "false",
           "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING")}
    env.pop("DATABASE_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    # Local storage unless ``extra_env`` says otherwise, whatever the calling shell sets.
    for name in [n for n in env if n.startswith(("QARION_S3_", "QARION_STORAGE", "QARION_UPLOAD_DIRECT"))]:
        env.pop(name)
    env.update(extra_env or {})
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
        raw = r.read()
        c.close()
        try:
            data = json.loads(raw or b"null")
        except ValueError:  # an error page rather than an API answer: keep its text for the report
            data = {"raw": raw[:2000].decode("utf-8", "replace")}
        return r.status, data


def send_chunks(api, base, session, source, size, parallel) -> list:
    token, chunk, n = api.token, session["chunk_size"], session["total_chunks"]
    errors = []

    def sender(indexes):
        try:
            send(indexes)
        except Exception as exc:  # a dropped connection, say: reported with the chunk errors
            errors.append((None, type(exc).__name__, str(exc)[:200]))

    def send(indexes):
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
                    if not piece:
                        raise EOFError(f"{source} is shorter than {size} bytes")
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


def bench_local(args) -> None:
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


# --- object storage (--storage s3) ---------------------------------------------------------

S3_BUCKET = "qarion-bench"
S3_CREDENTIALS = {"aws_access_key_id": "bench-access-key", "aws_secret_access_key": "bench-secret-key",
                  "region_name": "us-east-1"}
MODES = ("reference", "server", "direct")


def start_moto(work: Path):
    """moto's S3 server on a free loopback port, once it accepts connections (at most 60 s):
    (the process, its endpoint URL). Its log goes to ``work``/moto.log."""
    port = free_port()
    with open(work / "moto.log", "wb") as log:
        moto = subprocess.Popen([str(Path(PY).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                                cwd=work, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if moto.poll() is not None or time.monotonic() > deadline:
                end(moto)
                raise RuntimeError(f"moto's S3 server did not start (exit status {moto.poll()}); see its log below")
            time.sleep(0.2)
    return moto, f"http://127.0.0.1:{port}"


def end(process) -> None:
    """Stop ``process``'s group (SIGTERM, then SIGKILL after 20 s) unless it has ended already."""
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=20)


def s3_client(endpoint: str):
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, **S3_CREDENTIALS)


def empty_bucket(s3) -> None:
    """Delete every object and abort every multipart upload in the bench's bucket, so moto
    holds at most one copy of the file at a time (at most 100 pages of 1,000 each)."""
    for _ in range(100):
        page = s3.list_objects_v2(Bucket=S3_BUCKET, MaxKeys=1000)
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=S3_BUCKET, Delete={"Objects": keys, "Quiet": True})
        if not page.get("IsTruncated"):
            break
    for _ in range(100):
        uploads = s3.list_multipart_uploads(Bucket=S3_BUCKET, MaxUploads=1000).get("Uploads", [])
        for u in uploads:
            s3.abort_multipart_upload(Bucket=S3_BUCKET, Key=u["Key"], UploadId=u["UploadId"])
        if len(uploads) < 1000:
            break


def cpu_seconds(pids) -> float:
    """User + system CPU time of ``pids`` (all their threads), in seconds."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def reset_peak_rss(pids) -> bool:
    """Reset the peak RSS (VmHWM) of ``pids`` to their current RSS; False where the kernel refuses."""
    done = True
    for pid in pids:
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
        except OSError:
            done = False
    return done


def rss_growth(pids, baseline: dict) -> tuple[float, float]:
    """(the largest process's peak RSS growth over ``baseline``, the sum over processes), MiB."""
    growth = [max(0, rss_kib(pid, "VmHWM") - baseline.get(pid, 0)) for pid in pids]
    return max(growth, default=0) / 1024, sum(growth) / 1024


class Failed(Exception):
    """The product answered an error (or a part PUT failed): the message says which and how."""


def send_parts(api, base, session, source, size, parallel, deadline) -> list:
    """Direct transfer as a client does it: read the file once in order, hashing each part,
    while ``parallel`` senders ask the server for part URLs (a batch of the parts hashed so far
    at a time) and PUT each part to its URL, streamed from the file with the headers given.
    Returns the errors (part, status, answer)."""
    chunk, n = session["chunk_size"], session["total_chunks"]
    hashed: queue.Queue = queue.Queue()
    ready: collections.deque = collections.deque()
    lock, stop, ended = threading.Lock(), threading.Event(), []
    errors = []
    batch = min(100, max(8, 4 * parallel))

    def next_part():
        with lock:
            if ready:
                return ready.popleft()
            wanted = []
            while not wanted and not ended and not stop.is_set() and time.monotonic() < deadline:
                try:
                    item = hashed.get(timeout=0.2)
                except queue.Empty:
                    continue
                (ended.append(True) if item is None else wanted.append(item))
            while wanted and len(wanted) < batch and not ended:
                try:
                    item = hashed.get_nowait()
                except queue.Empty:
                    break
                (ended.append(True) if item is None else wanted.append(item))
            if not wanted:
                return None
            status, body = api.json("POST", f"{base}/{session['id']}/parts",
                                    {"parts": [{"index": i, "sha256": h} for i, h in wanted]})
            if status != 200:
                errors.append(("parts", status, json.dumps(body)[:500]))
                stop.set()
                return None
            ready.extend(body["parts"])
            return ready.popleft() if ready else None

    def sender():
        try:
            send()
        except Exception as exc:
            errors.append((None, type(exc).__name__, str(exc)[:300]))
            stop.set()

    def send():
        c = None
        with open(source, "rb", buffering=0) as f:
            while not stop.is_set() and time.monotonic() < deadline:
                part = next_part()
                if part is None:
                    return
                url = urlsplit(part["url"])
                if url.hostname != "127.0.0.1" or url.scheme != "http":
                    raise Failed(f"part URL {url.scheme}://{url.netloc} is not the loopback S3 server")
                if c is None:
                    c = http.client.HTTPConnection(url.hostname, url.port, timeout=600)
                i = part["index"]
                length = min(chunk, size - i * chunk)
                f.seek(i * chunk)
                c.putrequest(part["method"], f"{url.path}?{url.query}", skip_accept_encoding=True)
                headers = {k.lower(): v for k, v in part["headers"].items()}
                headers.setdefault("content-length", str(length))
                for name, value in headers.items():
                    c.putheader(name, value)
                c.endheaders()
                left = length
                while left:
                    piece = f.read(min(MiB, left))
                    if not piece:
                        raise EOFError(f"{source} is shorter than {size} bytes")
                    c.send(piece)
                    left -= len(piece)
                r = c.getresponse()
                answer = r.read()
                if r.status != 200:
                    errors.append((i, r.status, answer[:500]))
                    stop.set()
        if c is not None:
            c.close()

    threads = [threading.Thread(target=sender, daemon=True) for _ in range(min(parallel, n))]
    for t in threads:
        t.start()
    try:
        with open(source, "rb", buffering=0) as f:
            for i in range(n):
                if stop.is_set() or time.monotonic() > deadline:
                    break
                h, left = hashlib.sha256(), min(chunk, size - i * chunk)
                f.seek(i * chunk)
                while left:
                    piece = f.read(min(8 * MiB, left))
                    if not piece:
                        raise EOFError(f"{source} is shorter than {size} bytes")
                    h.update(piece)
                    left -= len(piece)
                hashed.put((i, base64.b64encode(h.digest()).decode()))
    finally:
        hashed.put(None)
        for t in threads:
            t.join(max(1.0, deadline - time.monotonic()))
    if any(t.is_alive() for t in threads):
        errors.append((None, "timeout", "part senders still running at the time limit"))
        stop.set()
    return errors


def s3_upload(api, product_id, source, size, expected_sha, parallel, transfer) -> dict:
    """Start (``transfer`` server or direct), send, complete, wait until completed; then check
    the download (the server's redirect to the bucket, read back and hashed): the timings."""
    base = f"/api/v1.0/catalog/products/{product_id}/model-artifacts/uploads"
    deadline = time.monotonic() + 900
    t_start = time.perf_counter()
    status, session = api.json("POST", base, {"file_name": f"bench-{transfer}.bin", "total_size": size,
                                              "artifact_kind": "weights", "expected_sha256": expected_sha,
                                              "transfer": transfer})
    if status != 201:
        raise Failed(f"{transfer}: start answered {status}: {json.dumps(session)[:2000]}")
    if session.get("transfer") != transfer:
        raise Failed(f"{transfer}: the server chose transfer {session.get('transfer')!r}")
    if transfer == "direct":
        errors = send_parts(api, base, session, source, size, parallel, deadline)
    else:
        errors = send_chunks(api, base, session, source, size, parallel)
    t_sent = time.perf_counter()
    if errors:
        raise Failed(f"{transfer}: {len(errors)} part(s)/chunk(s) failed, first ones: {errors[:3]}")
    status, body = api.json("POST", f"{base}/{session['id']}/complete", {})
    t_answered, complete_status = time.perf_counter(), status
    if status not in (200, 201, 202):
        raise Failed(f"{transfer}: complete answered {status}: {json.dumps(body)[:2000]}")
    while body.get("status") not in ("completed", "failed") and time.monotonic() < deadline:
        time.sleep(0.02)
        status, body = api.json("GET", f"{base}/{session['id']}")
    t_done = time.perf_counter()
    if body.get("status") != "completed":
        raise Failed(f"{transfer}: the session ended {body.get('status')!r} (last answer {status}): "
                     f"{json.dumps(body)[:2000]}")

    c = api.conn()
    t0 = time.perf_counter()
    c.request("GET", f"/api/v1.0/catalog/products/{product_id}/model-artifacts/{body['artifact_id']}/download",
              headers={"Authorization": f"Bearer {api.token}"})
    r = c.getresponse()
    r.read()
    c.close()
    got, h, location = 0, hashlib.sha256(), urlsplit(r.getheader("Location") or "")
    download = str(r.status)
    if r.status in (302, 307) and location.hostname == "127.0.0.1":  # only the loopback S3 server is followed
        c = http.client.HTTPConnection("127.0.0.1", location.port, timeout=600)
        c.request("GET", f"{location.path}?{location.query}")
        r2 = c.getresponse()
        while piece := r2.read(4 * MiB):
            got += len(piece)
            h.update(piece)
        c.close()
        download += f" -> bucket {r2.status}"
    return {
        "chunks": session["total_chunks"], "chunk_size": session["chunk_size"],
        "total": t_done - t_start, "sending": t_sent - t_start, "completion": t_done - t_sent,
        "complete_call": t_answered - t_sent, "complete_status": complete_status,
        "download": time.perf_counter() - t0, "download_status": download,
        "download_ok": got == size and h.hexdigest() == expected_sha,
    }


def s3_reference(s3, source, chunk_size, parallel) -> dict:
    """boto3's own multipart upload of the file (same part size, same concurrency)."""
    from boto3.s3.transfer import TransferConfig

    config = TransferConfig(multipart_threshold=chunk_size, multipart_chunksize=chunk_size,
                            max_concurrency=parallel, use_threads=True)
    t0 = time.perf_counter()
    s3.upload_file(str(source), S3_BUCKET, "reference/bench.bin", Config=config)
    return {"total": time.perf_counter() - t0}


def bench_s3(args) -> None:
    work = Path(tempfile.mkdtemp(prefix="qarion-bench-"))
    server = moto = None
    try:
        moto, endpoint = start_moto(work)
        s3 = s3_client(endpoint)
        s3.create_bucket(Bucket=S3_BUCKET)
        env, product_id, token, source = prepare(work, args.chunk_mib, args.size_mib, {
            "QARION_STORAGE": "s3", "QARION_S3_BUCKET": S3_BUCKET, "QARION_S3_ENDPOINT_URL": endpoint,
            "QARION_S3_REGION": S3_CREDENTIALS["region_name"],
            "QARION_S3_ACCESS_KEY_ID": S3_CREDENTIALS["aws_access_key_id"],
            "QARION_S3_SECRET_ACCESS_KEY": S3_CREDENTIALS["aws_secret_access_key"],
            "QARION_S3_ADDRESSING_STYLE": "path", "QARION_UPLOAD_DIRECT": "true",
            # One server, one data directory: the key it generates there is the shared one.
            "QARION_SIGNING_KEY_PATH": str(work / "data" / "signing-key.pem")})
        size = source.stat().st_size
        subprocess.run(["sync"], check=False)

        server, port = serve(env, args.workers)
        api = Api(port, token)
        # The part size the server plans for this file (the configured chunk size, at least S3's
        # 5 MiB), asked of a session started and aborted at once: the reference uses the same.
        base = f"/api/v1.0/catalog/products/{product_id}/model-artifacts/uploads"
        status, probe = api.json("POST", base, {"file_name": "probe.bin", "total_size": size,
                                                "artifact_kind": "weights"})
        if status != 201:
            raise Failed(f"start answered {status}: {json.dumps(probe)[:2000]}")
        chunk_size = probe["chunk_size"]
        status, answer = api.json("DELETE", f"{base}/{probe['id']}")
        if status != 204:
            raise Failed(f"abort answered {status}: {json.dumps(answer)[:2000]}")
        # Warm up: every worker answers a health check (which reaches the bucket) and one small
        # upload of each transfer runs, so imports and clients are not counted as growth.
        status, health = api.json("GET", "/health/")
        if status != 200:
            raise Failed(f"/health/ answered {status}: {json.dumps(health)[:2000]}")
        warm = [threading.Thread(target=api.json, args=("GET", "/health/"), daemon=True)
                for _ in range(2 * args.workers)]
        for t in warm:
            t.start()
        for t in warm:
            t.join(60)
        warm_file = work / "warm.bin"
        with open(source, "rb") as f, open(warm_file, "wb") as w:
            w.write(f.read(min(size, args.parallel * chunk_size)))
        warm_sha, _ = aligned_sha256(warm_file)
        for transfer in ("server", "direct"):
            s3_upload(api, product_id, warm_file, warm_file.stat().st_size, warm_sha, args.parallel, transfer)
        warm_file.unlink()
        empty_bucket(s3)
        s3_reference(s3, source, chunk_size, args.parallel)  # the reference's own warm-up
        empty_bucket(s3)
        time.sleep(1)
        pids = process_tree(server.pid)
        baseline = {pid: rss_kib(pid, "VmRSS") for pid in pids}
        peak_reset = True

        mb = size / 1e6
        runs = []
        for number in range(1, args.runs + 1):
            expected_sha, hash_seconds = aligned_sha256(source)
            run = {"hashlib": hash_seconds}
            order = MODES[(number - 1) % 3:] + MODES[:(number - 1) % 3]  # each mode in each place in turn
            for mode in order:
                pids = process_tree(server.pid)
                peak_reset = reset_peak_rss(pids) and peak_reset
                cpu_before = (cpu_seconds(pids), cpu_seconds([moto.pid]), cpu_seconds([os.getpid()]))
                if mode == "reference":
                    result = s3_reference(s3, source, chunk_size, args.parallel)
                else:
                    result = s3_upload(api, product_id, source, size, expected_sha, args.parallel, mode)
                pids = process_tree(server.pid)
                result["rss_max"], result["rss_sum"] = rss_growth(pids, baseline)
                result["cpu"] = tuple(after - before for after, before in zip(
                    (cpu_seconds(pids), cpu_seconds([moto.pid]), cpu_seconds([os.getpid()])), cpu_before))
                run[mode] = result
                empty_bucket(s3)
            runs.append(run)
            ref, srv, dct = run["reference"], run["server"], run["direct"]
            print(f"run {number} (order: {', '.join(order)}):", flush=True)
            print(f"  reference boto3 upload_file {mb / ref['total']:.0f} MB/s ({ref['total']:.2f} s; cpu gunicorn "
                  f"{ref['cpu'][0]:.1f} s, moto {ref['cpu'][1]:.1f} s, bench {ref['cpu'][2]:.1f} s)", flush=True)
            for name, r in (("server", srv), ("direct", dct)):
                print(f"  {name} transfer {mb / r['total']:.0f} MB/s end to end ({r['total']:.2f} s: sending "
                      f"{r['sending']:.2f} s = {mb / r['sending']:.0f} MB/s, completion {r['completion']:.2f} s, "
                      f"complete answered {r['complete_status']} after {r['complete_call']:.2f} s); "
                      f"/ reference {ref['total'] / r['total']:.2f}; cpu gunicorn {r['cpu'][0]:.1f} s, moto "
                      f"{r['cpu'][1]:.1f} s, bench {r['cpu'][2]:.1f} s; server peak RSS growth {r['rss_max']:.1f} "
                      f"MiB (largest process), {r['rss_sum']:.1f} MiB (all processes); download "
                      f"{r['download_status']} {'ok' if r['download_ok'] else 'BYTES DIFFER'}", flush=True)
            print(f"  hashlib aligned {hash_seconds:.2f} s ({mb / hash_seconds:.0f} MB/s)", flush=True)

        def med(mode, key):
            return statistics.median(r[mode][key] for r in runs)

        first = runs[0]["server"]
        print()
        print(f"file: {size / MiB:.0f} MiB, {first['chunks']} parts of {first['chunk_size'] / MiB:.0f} MiB, "
              f"{args.parallel} senders, gunicorn {args.workers} sync workers, embedded shape (SQLite) with "
              f"object storage (moto's S3 server on loopback, path-style); medians of {len(runs)} run(s)")
        ref = med("reference", "total")
        print(f"reference, boto3 upload_file (TransferConfig: part size {chunk_size / MiB:.0f} MiB, "
              f"max_concurrency {args.parallel}): {ref:.2f} s = {mb / ref:.0f} MB/s")
        for mode, target in (("server", 0.8), ("direct", 0.9)):
            total = med(mode, "total")
            ratio = statistics.median(r["reference"]["total"] / r[mode]["total"] for r in runs)
            print(f"{mode} transfer end to end: {total:.2f} s = {mb / total:.0f} MB/s (sending "
                  f"{med(mode, 'sending'):.2f} s, completion {med(mode, 'completion'):.2f} s); {mode} / reference "
                  f"= {ratio:.2f} (each run against its own reference; target >= {target})")
        for mode in ("server", "direct"):
            print(f"server peak RSS growth during {mode} transfer (max over runs): "
                  f"{max(r[mode]['rss_max'] for r in runs):.1f} MiB largest process, "
                  f"{max(r[mode]['rss_sum'] for r in runs):.1f} MiB all processes (target < 100 MiB)"
                  + ("" if peak_reset else "; the peak could not be reset between transfers, so it is the "
                     "peak since the warm-up"))
        print(f"downloads (redirect to the bucket, read back): bytes and sha256 "
              f"{'match' if all(r[m]['download_ok'] for r in runs for m in ('server', 'direct')) else 'DIFFER'}")
        print(f"reference: hashlib aligned {statistics.median(r['hashlib'] for r in runs):.2f} s; "
              f"2 cores shared by the bench, gunicorn and moto, so figures are noisy")
    except Exception as exc:
        log = work / "moto.log"
        if log.exists():
            print("moto's log (last lines):\n" + "\n".join(log.read_text(errors="replace").splitlines()[-20:]),
                  file=sys.stderr)
        if isinstance(exc, Failed):
            print(f"FAILED: {exc}", file=sys.stderr, flush=True)
            raise SystemExit(1) from None
        raise
    finally:
        try:
            stop(server, work)
        finally:
            end(moto)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--storage", choices=("local", "s3"), default="local",
                        help="local files (default), or moto's S3 server on loopback with the boto3 reference")
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--workers", type=int, default=6)
    parser.add_argument("--chunk-mib", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3, help="uploads of the file in a row (median printed)")
    args = parser.parse_args()
    args.runs = max(1, min(args.runs, 10))
    # A plain `kill` of the bench still stops what it started (the finally blocks run).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    (bench_s3 if args.storage == "s3" else bench_local)(args)


if __name__ == "__main__":
    main()
