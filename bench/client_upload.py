"""Upload benchmark of the `qarion` client (qarion_client) on loopback, against gunicorn.

    .venv/bin/python bench/client_upload.py [--size-mib 1024] [--workers 6] [--chunk-mib 16] [--skip-server-bench]

Starts gunicorn on 127.0.0.1 with a fresh data directory the way bench/upload.py does
(embedded shape: SQLite, local storage), creates a record and a token, then uploads the same
file through qarion_client.Client with 1 and with 4 parallel senders (start, chunks, complete,
wait for assembly) and downloads it once through the client (verified). Then runs
bench/upload.py (the server's own figures, raw http.client senders) with the same size and
prints both. Prints figures only; asserts nothing."""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "client"))
sys.path.insert(0, str(ROOT / "bench"))

from upload import prepare, serve, stop  # noqa: E402  (bench/upload.py: the server benchmark)

from qarion_client import Client  # noqa: E402

PY = sys.executable
MiB = 1024 * 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--workers", type=int, default=6)
    parser.add_argument("--chunk-mib", type=int, default=16)
    parser.add_argument("--skip-server-bench", action="store_true", help="do not run bench/upload.py afterwards")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="qarion-client-bench-"))
    server = None
    results = []
    try:
        env, product_id, token, source = prepare(work, args.chunk_mib, args.size_mib)
        size = source.stat().st_size

        server, port = serve(env, args.workers)
        time.sleep(1)

        url = f"http://127.0.0.1:{port}"
        with Client(url, token, timeout=600) as client:
            for parallel in (1, 4):
                copy = work / f"bench-p{parallel}.bin"
                os.link(source, copy)  # another name: a new session, never a resumed one
                t0 = time.perf_counter()
                artifact = client.upload(product_id, copy, kind="weights", parallel=parallel)
                seconds = time.perf_counter() - t0
                results.append((parallel, seconds, artifact["sha256"]))
            t0 = time.perf_counter()
            target = client.download(product_id, artifact["id"], work / "downloaded.bin")
            download_seconds = time.perf_counter() - t0
            target.unlink()

        mb = size / 1e6
        print(f"== qarion client (qarion_client.Client): {size / MiB:.0f} MiB file, {args.chunk_mib} MiB chunks, "
              f"gunicorn {args.workers} sync workers ==")
        for parallel, seconds, _sha in results:
            print(f"client upload, {parallel} sender{'s' if parallel > 1 else ''}: {seconds:.2f} s = "
                  f"{mb / seconds:.0f} MB/s (sha256 while reading, Content-Digest per chunk, complete, assembly)")
        print(f"client download (verified, renamed into place): {download_seconds:.2f} s = "
              f"{mb / download_seconds:.0f} MB/s")
    finally:
        stop(server, work)

    if not args.skip_server_bench:
        for parallel in (1, 4):
            print(f"== server's own figures (bench/upload.py, raw http.client, {parallel} "
                  f"sender{'s' if parallel > 1 else ''}) ==", flush=True)
            subprocess.run([PY, str(ROOT / "bench" / "upload.py"), "--size-mib", str(args.size_mib), "--parallel",
                            str(parallel), "--workers", str(args.workers), "--chunk-mib", str(args.chunk_mib)],
                           cwd=ROOT, check=False)


if __name__ == "__main__":
    main()
