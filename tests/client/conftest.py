"""Fixtures for the command-line client's tests: a live server, tokens, a way to run the CLI
in-process or as a subprocess, and a fault-injecting HTTP proxy on loopback (in front of the
live server, or of the S3 server for direct transfer)."""

import http.client
import os
import re
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from catalog import services as catalog_services

CLIENT_DIR = Path(__file__).resolve().parents[2] / "client"
if str(CLIENT_DIR) not in sys.path:
    sys.path.insert(0, str(CLIENT_DIR))

MiB = 1024 * 1024
CHUNK_PUT = re.compile(r"/uploads/[^/]+/chunks/(\d+)$")


@pytest.fixture(autouse=True)
def _client_server_settings(settings, local_storage):
    """1 MiB chunks so small files span many (local storage, whatever the shape sets: object
    storage's parts are at least 5 MiB; the direct-transfer tests switch to a bucket); assembly
    in-process (the live server's transactions are real, but a worker process would use another
    database)."""
    settings.QARION_UPLOAD_CHUNK_SIZE = MiB
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def live_world(request, transactional_db):
    return request.getfixturevalue("world")


@pytest.fixture
def token_for(live_world):
    def _token(username="editor", scope="write"):
        user = live_world.users[username]
        return catalog_services.api_token_create(actor=user, name=f"cli-{scope}-{user.api_tokens.count() + 1}",
                                                 scope=scope)[1]
    return _token


@pytest.fixture
def cli_env(tmp_path, live_server, monkeypatch):
    """Environment for the CLI: its own config dir, the live server's URL."""
    config_home = tmp_path / "config-home"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config_home))
    monkeypatch.setenv("QARION_URL", live_server.url)
    monkeypatch.delenv("QARION_TOKEN", raising=False)
    monkeypatch.delenv("QARION_CONFIG", raising=False)
    return config_home


@pytest.fixture
def run_cli(cli_env, capsys):
    """Run ``qarion`` in-process: ``run_cli("upload", ..., token=...)`` → (exit code, stdout, stderr)."""
    from qarion_client.cli import main

    def _run(*argv, token=None, url=None):
        old = {k: os.environ.get(k) for k in ("QARION_TOKEN", "QARION_URL")}
        if token is not None:
            os.environ["QARION_TOKEN"] = token
        if url is not None:
            os.environ["QARION_URL"] = url
        try:
            capsys.readouterr()
            code = main([str(a) for a in argv])
            out, err = capsys.readouterr()
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        return code, out, err
    return _run


def cli_subprocess(*argv, url, token, home, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "QARION_URL": url, "QARION_TOKEN": token, "XDG_CONFIG_HOME": str(home),
           "PYTHONPATH": str(CLIENT_DIR)}
    return subprocess.Popen([sys.executable, "-m", "qarion_client", "--quiet", *map(str, argv)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def random_file(path: Path, size: int) -> Path:
    path.write_bytes(os.urandom(size))
    return path


def part_index(method: str, path: str) -> int | None:
    """The chunk index of an S3 UploadPart request (``PUT ...?partNumber=N&uploadId=...``)."""
    if method != "PUT" or "?" not in path:
        return None
    query = parse_qs(path.split("?", 1)[1])
    if "uploadId" not in query or "partNumber" not in query:
        return None
    return int(query["partNumber"][0]) - 1


class FaultProxy:
    """A loopback HTTP/1.1 proxy in front of the live server (or the S3 server) that records
    every request and can delay chunk or part PUTs, answer chosen ones once with an error,
    corrupt or throttle downloads. A request whose body did not arrive whole (its sender was
    killed) is dropped, as a server would."""

    def __init__(self, upstream: str):
        parsed = urlparse(upstream)
        self.upstream = (parsed.hostname, parsed.port)
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str, dict]] = []  # (method, path, headers)
        self.posted: list[tuple[str, bytes]] = []  # (path, body) of the POSTs, for small bodies
        self.put_delay = 0.0
        self.fail_once: set[int] = set()  # chunk indexes answered 500 on their first PUT
        self.failed: list[int] = []
        self.part_delay = 0.0  # seconds before an S3 part PUT is passed on
        self.part_fail_once: dict[int, tuple[int, str]] = {}  # part index -> (status, S3 error code) once
        self.parts_failed: list[int] = []
        self.corrupt_downloads = False
        self.download_delay = 0.0  # seconds per 64 KiB piece of a download body
        self.in_flight = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if length and len(body) < length:
                    self.close_connection = True
                    return
                with proxy.lock:
                    proxy.requests.append((self.command, self.path, dict(self.headers)))
                    if self.command == "POST" and body and len(body) <= 1024 * 1024:
                        proxy.posted.append((self.path, body))
                    proxy.in_flight += 1
                try:
                    proxy._forward(self, body)
                finally:
                    with proxy.lock:
                        proxy.in_flight -= 1

            do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = do_PATCH = do_OPTIONS = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _answer(self, handler, status: int, content_type: str, payload: bytes) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def _forward(self, handler, body):
        part = part_index(handler.command, handler.path)
        if part is not None:
            with self.lock:
                fault = self.part_fail_once.pop(part, None)
                if fault:
                    self.parts_failed.append(part)
            if fault:
                status, code = fault
                message = "Request has expired" if code == "AccessDenied" else "Injected failure."
                self._answer(handler, status, "application/xml",
                             f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code>"
                             f"<Message>{message}</Message></Error>".encode())
                return
            if self.part_delay:
                time.sleep(self.part_delay)
        match = CHUNK_PUT.search(handler.path.split("?")[0]) if handler.command == "PUT" else None
        if match:
            index = int(match.group(1))
            with self.lock:
                fail = index in self.fail_once
                self.fail_once.discard(index)
                if fail:
                    self.failed.append(index)
            if fail:
                self._answer(handler, 500, "application/json",
                             b'{"error": {"code": "server_error", "message": "Injected failure.", "details": {}}}')
                return
            if self.put_delay:
                time.sleep(self.put_delay)
        headers = {k: v for k, v in handler.headers.items()
                   if k.lower() not in ("connection", "keep-alive", "host", "expect")}
        conn = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            conn.request(handler.command, handler.path, body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
        finally:
            conn.close()
        is_download = handler.command == "GET" and handler.path.split("?")[0].endswith("/download")
        if is_download and self.corrupt_downloads and payload:
            payload = bytes([payload[0] ^ 0xFF]) + payload[1:]
        handler.send_response(response.status, response.reason)
        for key, value in response.getheaders():
            if key.lower() not in ("connection", "keep-alive", "transfer-encoding", "content-length"):
                handler.send_header(key, value)
        # A HEAD answer has no body but tells the length of the one a GET would have.
        length = response.getheader("Content-Length", "0") if handler.command == "HEAD" else len(payload)
        handler.send_header("Content-Length", str(length))
        handler.end_headers()
        if is_download and self.download_delay:
            for start in range(0, len(payload), 64 * 1024):
                handler.wfile.write(payload[start:start + 64 * 1024])
                handler.wfile.flush()
                time.sleep(self.download_delay)
        else:
            handler.wfile.write(payload)

    def chunk_puts(self) -> list[int]:
        with self.lock:
            return [int(m.group(1)) for method, path, _ in self.requests
                    if method == "PUT" and (m := CHUNK_PUT.search(path.split("?")[0]))]

    def bodies(self, suffix: str) -> list[bytes]:
        """The bodies of the POSTs to paths ending in ``suffix``, in order."""
        with self.lock:
            return [body for path, body in self.posted if path.split("?")[0].endswith(suffix)]

    def part_puts(self) -> list[tuple[int, dict]]:
        """(chunk index, request headers) of every S3 part PUT that came through, in order."""
        with self.lock:
            return [(index, headers) for method, path, headers in self.requests
                    if (index := part_index(method, path)) is not None]

    def wait_idle(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.in_flight == 0:
                    return
            time.sleep(0.05)
        raise AssertionError("the proxy still has requests in flight")

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.posted.clear()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy(live_server):
    p = FaultProxy(live_server.url)
    yield p
    p.close()
