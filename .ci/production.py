"""CI's production phase: the README's production steps, run as written, then the test suite.

    .venv/bin/python .ci/production.py WORK_DIR -- make test

1. Starts what stands in for the operator's infrastructure on loopback: a moto S3 server with
   a bucket (PostgreSQL and Redis are already running), and drops what an earlier run left.
2. Reads the README's section "Production: ..." and runs its blocks in order, as written:
   ``run`` blocks with bash; the ``settings`` block is the one place where CI uses its own
   values (its qarion.env must set exactly the variables the README's block sets); ``service``
   blocks start in the background: the web server twice (two ports, two data directories:
   nothing shared but PostgreSQL, Redis and the bucket), the worker and beat once each.
3. Waits until /health/ answers 200 on both nodes, runs the given command with the nodes
   named in QARION_PRODUCTION_* variables (tests/production talks to them over HTTP), stops
   everything and exits with the command's status.
"""

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STEP = re.compile(r"<!-- production step: (run|settings|service (\w+)) -->\s*```sh\n(.*?)```", re.S)
POSTGRES_ADMIN = {"PGHOST": "127.0.0.1", "PGUSER": "postgres"}
BROKER = "redis://127.0.0.1:6379/11"  # the suite uses 15 (as in the services phase) and 14 (compose checks)
TEST_BROKER = "redis://127.0.0.1:6379/15"


def say(message: str) -> None:
    print(f"[production] {message}", flush=True)


def readme_steps() -> list[tuple[str, str | None, str]]:
    text = (REPO / "README.md").read_text()
    section = text[text.index("## Production:"):]
    section = section[:section.index("\n## ", 4)]
    steps = [(kind.split()[0], service, body) for kind, service, body in STEP.findall(section)]
    kinds = [k if not s else f"service {s}" for k, s, _ in steps]
    for needed in ("run", "settings", "service web", "service worker", "service beat"):
        if needed not in kinds:
            raise SystemExit(f"The README's production section has no '{needed}' step.")
    return steps


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(what: str, check, limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(1)
    raise SystemExit(f"{what} did not come up within {limit:.0f}s")


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status == 200
    except urllib.error.HTTPError:
        return False


def main() -> int:
    work = Path(sys.argv[1]).resolve()
    command = sys.argv[sys.argv.index("--") + 1:]
    work.mkdir(parents=True, exist_ok=True)
    logs = work / "logs"
    logs.mkdir(exist_ok=True)
    steps = readme_steps()
    processes: list[tuple[str, subprocess.Popen]] = []

    def start(name: str, argv: list[str], env: dict) -> subprocess.Popen:
        log = open(logs / f"{name}.log", "wb")
        process = subprocess.Popen(argv, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        processes.append((name, process))
        return process

    try:
        # --- the infrastructure an operator would have ----------------------------------------
        s3_port = free_port()
        endpoint = f"http://127.0.0.1:{s3_port}"
        start("s3", [str(REPO / ".venv/bin/moto_server"), "-H", "127.0.0.1", "-p", str(s3_port)], dict(os.environ))
        wait_until("the S3 server", lambda: socket.create_connection(("127.0.0.1", s3_port), timeout=2).close() or True,
                   60)
        import boto3

        credentials = {"aws_access_key_id": "ci-access-key", "aws_secret_access_key": "ci-secret-key",
                       "region_name": "us-east-1"}
        s3 = boto3.client("s3", endpoint_url=endpoint, **credentials)
        for bucket in ("qarion-artifacts", "qarion-test-suite"):
            s3.create_bucket(Bucket=bucket)
        subprocess.run(["psql", "-q", "-c", "DROP DATABASE IF EXISTS qarion", "-c", "DROP DATABASE IF EXISTS test_qarion",
                        "-c", "DROP ROLE IF EXISTS qarion"], env={**os.environ, **POSTGRES_ADMIN}, check=True)
        subprocess.run(["redis-cli", "-n", BROKER.rsplit("/", 1)[1], "flushdb"], check=True, stdout=subprocess.DEVNULL)

        # --- CI's settings: the README's variables, with values for this machine ---------------
        settings = {
            "DATABASE_URL": "postgres://qarion:change-me@127.0.0.1:5432/qarion",
            "CELERY_BROKER_URL": BROKER,
            "SECRET_KEY": f"ci-production-{os.urandom(16).hex()}",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "QARION_DATA_DIR": str(work / "worker-data"),
            "QARION_STORAGE": "s3",
            "QARION_S3_BUCKET": "qarion-artifacts",
            "QARION_S3_REGION": "us-east-1",
            "QARION_S3_ENDPOINT_URL": endpoint,
            "QARION_S3_ACCESS_KEY_ID": credentials["aws_access_key_id"],
            "QARION_S3_SECRET_ACCESS_KEY": credentials["aws_secret_access_key"],
            "QARION_UPLOAD_DIRECT": "true",
            "QARION_SIGNING_KEY_FILE": str(REPO / "signing-key.pem"),
        }
        [settings_block] = [body for kind, _, body in steps if kind == "settings"]
        documented = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", settings_block, re.M))
        if documented != set(settings):
            raise SystemExit(f"CI's settings and the README's differ: README only {sorted(documented - set(settings))}, "
                             f"CI only {sorted(set(settings) - documented)}")
        env_file = REPO / "qarion.env"
        env_file.write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
        base = {k: v for k, v in os.environ.items() if not k.startswith(("QARION_", "DATABASE_", "CELERY_"))
                and k not in ("SECRET_KEY", "SECRET_KEY_FILE", "DEBUG", "ALLOWED_HOSTS")}
        base.update(POSTGRES_ADMIN)

        # --- the README's steps, as written ---------------------------------------------------
        node_ports = [free_port(), free_port()]
        data_dirs = [work / f"node{i + 1}-data" for i in range(len(node_ports))]
        worker_pid = beat_pid = None
        for kind, service, body in steps:
            if kind == "run":
                say(f"README step:\n{body.rstrip()}")
                subprocess.run(["bash", "-euo", "pipefail", "-c", body], cwd=REPO, env=base, check=True)
            elif kind == "service":
                line = " ".join(body.split())
                load = "set -a && . ./qarion.env && set +a && "
                if service == "web":
                    for port, data_dir in zip(node_ports, data_dirs, strict=True):
                        data_dir.mkdir(exist_ok=True)
                        say(f"README service web on port {port}: {line}")
                        start(f"web-{port}", ["bash", "-c", f"{load}export PORT={port} QARION_DATA_DIR="
                                              f"{shlex.quote(str(data_dir))} && exec {line}"], base)
                else:
                    say(f"README service {service}: {line}")
                    process = start(service, ["bash", "-c", f"{load}exec {line}"], base)
                    if service == "worker":
                        worker_pid = process.pid
                    else:
                        beat_pid = process.pid
        nodes = [f"http://127.0.0.1:{port}" for port in node_ports]
        for node in nodes:
            wait_until(f"{node}/health/", lambda node=node: http_ok(f"{node}/health/"), 120)
        say("both web nodes, the worker and beat are up")

        # --- the test suite, in this shape ----------------------------------------------------
        (work / "worker.pid").write_text(str(worker_pid))
        (work / "beat.pid").write_text(str(beat_pid))
        test_env = {**base, **settings,
                    # The suite creates its own test database (so it connects as the superuser),
                    # and its own tasks and files go to their own broker database and bucket.
                    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/qarion",
                    "CELERY_BROKER_URL": TEST_BROKER, "QARION_S3_BUCKET": "qarion-test-suite",
                    "QARION_DATA_DIR": str(work / "suite-data"), "QARION_INTEGRATION": "1",
                    "QARION_PRODUCTION_NODES": ",".join(nodes),
                    "QARION_PRODUCTION_DATA_DIRS": ",".join(map(str, data_dirs)),
                    "QARION_PRODUCTION_ENV_FILE": str(env_file),
                    "QARION_PRODUCTION_WORKER_PIDFILE": str(work / "worker.pid"),
                    "QARION_PRODUCTION_BEAT_PIDFILE": str(work / "beat.pid")}
        say(f"running: {' '.join(command)}")
        status = subprocess.run(command, cwd=REPO, env=test_env).returncode
        for name, process in processes:
            if process.poll() is not None and name != "s3":
                say(f"{name} exited early with status {process.returncode}")
                status = status or 1
        return status
    finally:
        for name, process in reversed(processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for name, process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        for name, _ in processes:
            tail = (logs / f"{name}.log").read_bytes()[-3000:].decode(errors="replace")
            if "Traceback" in tail or "ERROR" in tail:
                say(f"last lines of {name}'s log:\n{tail}")


if __name__ == "__main__":
    sys.exit(main())
