"""Tests against the production shape that the CI's production phase starts: PostgreSQL,
Redis, a Celery worker and Celery beat as separate processes, and two gunicorn web nodes with
separate data directories (no shared disk), both on object storage.

They talk to the nodes over HTTP only, never through Django's test client or ORM: this pytest
process has its own test database, the nodes use the production one. What the API cannot do
(create the operator's account and API token, send a periodic task to the worker) runs as a
management or Celery command in a subprocess with the production environment.

They run only when ``QARION_PRODUCTION_NODES`` is set, and are skipped, with the reason,
otherwise. With it set, a missing companion variable is a failure, never a skip:

- ``QARION_PRODUCTION_NODES``: the web nodes' base URLs, comma-separated;
- ``QARION_PRODUCTION_DATA_DIRS``: their data directories, in the same order;
- ``QARION_PRODUCTION_ENV_FILE``: the KEY=VALUE file the nodes, the worker and beat run with;
- ``QARION_PRODUCTION_WORKER_PIDFILE`` / ``QARION_PRODUCTION_BEAT_PIDFILE``: the PID of the
  Celery worker's main process and of beat.

Every wait is bounded by a deadline and a maximum number of rounds.
"""

import base64
import hashlib
import html.parser
import json
import math
import os
import re
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
NODES = [url.strip().rstrip("/") for url in os.environ.get("QARION_PRODUCTION_NODES", "").split(",") if url.strip()]
ENABLED = bool(NODES)
SKIP_REASON = ("production tests need QARION_PRODUCTION_NODES (the web nodes of the CI's production phase, "
               "with QARION_PRODUCTION_DATA_DIRS, QARION_PRODUCTION_ENV_FILE and the worker and beat pidfiles)")

MiB = 1024 * 1024
API = "/api/v1.0"
COMMAND_TIMEOUT = 180  # seconds for one management or Celery command
HTTP_TIMEOUT = 300  # seconds for one request (a verify or an archive of hundreds of MiB included)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.integration)
            if not ENABLED:
                item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


# --- the production environment ------------------------------------------------------------

def parse_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (blank lines, ``#`` comments and a leading ``export`` allowed; a value
    in matching quotes loses them)."""
    values = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{path}:{number} is not a KEY=VALUE line")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        pytest.fail(f"QARION_PRODUCTION_NODES is set but {name} is not; the production phase sets both.")
    return value


def read_pid(pidfile: Path) -> int:
    try:
        return int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError) as exc:
        pytest.fail(f"Could not read a PID from {pidfile}: {exc}")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return Path(f"/proc/{pid}/status").exists() and _state(pid) != "Z"


def _state(pid: int) -> str:
    try:
        return _stat_fields(pid)[0]
    except OSError:
        return ""


def _stat_fields(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (state, ppid, ...)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2:].split()


def children(pid: int) -> list[int]:
    """The PIDs whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = _stat_fields(int(entry.name))
        except (OSError, ValueError):
            continue  # gone meanwhile
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return sorted(found)


def listening_pids(port: int) -> list[int]:
    """The processes holding a listening TCP socket on ``port`` (a gunicorn master and its
    workers share the one they inherit)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{inode}]")
    pids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                if os.readlink(fd) in inodes:
                    pids.add(int(entry.name))
                    break
        except OSError:
            continue  # gone, or not ours to look at
    return sorted(pids)


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (the peak) of ``pid`` in KiB; empty once the process is gone."""
    values = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    except OSError:
        return {}
    return values


def reset_peak(pid: int) -> bool:
    """Reset ``pid``'s VmHWM to its current RSS (``5`` to /proc/<pid>/clear_refs); False
    where the kernel or the permissions do not allow it."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


@dataclass
class Production:
    nodes: list[str]
    data_dirs: list[Path]
    env_file: Path
    settings: dict[str, str]
    worker_pidfile: Path
    beat_pidfile: Path

    def env(self) -> dict[str, str]:
        return {**os.environ, **self.settings}

    def run(self, args: list[str], *, timeout: int = COMMAND_TIMEOUT, extra_env: dict | None = None) -> str:
        """Run a command from the repository root with the production environment; its
        standard output, or a failure with both outputs."""
        try:
            done = subprocess.run(args, cwd=REPO, env={**self.env(), **(extra_env or {})}, stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            pytest.fail(f"{' '.join(args[1:])} did not finish within {timeout} s: {exc.stderr}")
        if done.returncode != 0:
            pytest.fail(f"{' '.join(args[1:])} exited with {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def manage(self, *args: str, **kwargs) -> str:
        return self.run([sys.executable, "manage.py", *args], **kwargs)

    def send_task(self, name: str, kwargs: dict | None = None) -> str:
        """Send a task to the production worker through the broker (``celery call``)."""
        args = [sys.executable, "-m", "celery", "-A", "qarion", "call", name]
        if kwargs:
            args += ["--kwargs", json.dumps(kwargs)]
        return self.run(args).strip()

    def setting_int(self, name: str, default: int) -> int:
        """A number the production processes read from the env file (their default when unset)."""
        return int(self.settings.get(name) or default)

    @property
    def worker_pid(self) -> int:
        return read_pid(self.worker_pidfile)

    @property
    def beat_pid(self) -> int:
        return read_pid(self.beat_pidfile)

    @property
    def bucket(self) -> str:
        return self.settings["QARION_S3_BUCKET"]

    @property
    def endpoint(self) -> str:
        return self.settings["QARION_S3_ENDPOINT_URL"].rstrip("/")


@pytest.fixture(scope="session")
def production() -> Production:
    nodes = NODES
    if len(nodes) < 2:
        pytest.fail(f"QARION_PRODUCTION_NODES names {len(nodes)} node(s); the production phase runs two.")
    data_dirs = [Path(p.strip()) for p in _required("QARION_PRODUCTION_DATA_DIRS").split(",") if p.strip()]
    if len(data_dirs) != len(nodes):
        pytest.fail(f"QARION_PRODUCTION_DATA_DIRS names {len(data_dirs)} directories for {len(nodes)} nodes.")
    env_file = Path(_required("QARION_PRODUCTION_ENV_FILE"))
    try:
        settings = parse_env_file(env_file)
    except (OSError, ValueError) as exc:
        pytest.fail(f"Could not read QARION_PRODUCTION_ENV_FILE: {exc}")
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "QARION_S3_BUCKET", "QARION_S3_ENDPOINT_URL",
                 "QARION_S3_ACCESS_KEY_ID", "QARION_S3_SECRET_ACCESS_KEY"):
        if not settings.get(name):
            pytest.fail(f"The production env file {env_file} does not set {name}.")
    if settings.get("QARION_STORAGE") != "s3":
        pytest.fail(f"The production env file sets QARION_STORAGE={settings.get('QARION_STORAGE')!r}, not s3.")
    found = Production(nodes=nodes, data_dirs=data_dirs, env_file=env_file, settings=settings,
                       worker_pidfile=Path(_required("QARION_PRODUCTION_WORKER_PIDFILE")),
                       beat_pidfile=Path(_required("QARION_PRODUCTION_BEAT_PIDFILE")))
    for what, pid in (("worker", found.worker_pid), ("beat", found.beat_pid)):
        if not alive(pid):
            pytest.fail(f"The Celery {what} (PID {pid}) is not running.")
    return found


@pytest.fixture(scope="session")
def s3(production):
    """A boto3 client on the production bucket's S3 endpoint."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3", endpoint_url=production.endpoint, region_name=production.settings.get("QARION_S3_REGION") or "us-east-1",
        aws_access_key_id=production.settings["QARION_S3_ACCESS_KEY_ID"],
        aws_secret_access_key=production.settings["QARION_S3_SECRET_ACCESS_KEY"],
        config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 3}))


# --- the operator: a superuser of its own, its API token and a browser session -------------------

@dataclass
class Operator:
    username: str
    password: str
    token: str


@pytest.fixture(scope="session")
def operator(production) -> Operator:
    """A superuser made for this run (``createsuperuser --noinput``) with a write token
    (``create_api_token``, which prints the token alone)."""
    username = f"prodtest-{secrets.token_hex(4)}"
    password = secrets.token_urlsafe(24)
    production.manage("createsuperuser", "--noinput", "--username", username, "--email", f"{username}@example.com",
                      extra_env={"DJANGO_SUPERUSER_PASSWORD": password})
    output = production.manage("create_api_token", username, "--name", f"prodtest-{secrets.token_hex(4)}",
                               "--scope", "write").strip().splitlines()
    assert output and output[-1].startswith("qrn_"), f"create_api_token printed {output!r}"
    return Operator(username=username, password=password, token=output[-1].strip())


def _httpx_client(**kwargs):
    import httpx

    return httpx.Client(timeout=httpx.Timeout(HTTP_TIMEOUT, connect=10), **kwargs)


@pytest.fixture(scope="session")
def api(production, operator):
    """One API client per node (Bearer token), in the order of QARION_PRODUCTION_NODES."""
    clients = [_httpx_client(base_url=node, headers={"Authorization": f"Bearer {operator.token}"})
               for node in production.nodes]
    yield clients
    for client in clients:
        client.close()


@pytest.fixture(scope="session")
def bucket_http():
    """A plain client for presigned bucket URLs: no Authorization header."""
    client = _httpx_client()
    yield client
    client.close()


@dataclass
class Form:
    fields: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)  # every <option value> by its text


class FormParser(html.parser.HTMLParser):
    """The POST forms of a page, as a browser would submit them untouched: inputs with their
    values, checked boxes, textareas, selected options."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form = None
        self._textarea = self._select = self._option = None
        self._text = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self._form = Form()
            self.forms.append(self._form)
        if self._form is None:
            return
        fields, name, kind = self._form.fields, attrs.get("name"), attrs.get("type", "text")
        if tag == "input" and name and kind not in ("submit", "button", "file", "checkbox", "radio"):
            fields[name] = attrs.get("value") or ""
        elif tag == "input" and name and kind in ("checkbox", "radio") and "checked" in attrs:
            fields[name] = attrs.get("value") or "on"
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
        elif tag == "select" and name:
            self._select = name
            fields.setdefault(name, "")
        elif tag == "option" and self._select:
            self._option, self._text = attrs.get("value", ""), []
            if "selected" in attrs:
                fields[self._select] = self._option

    def handle_data(self, data):
        if self._textarea is not None or self._option is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if self._form is None:
            return
        if tag == "textarea" and self._textarea is not None:
            self._form.fields[self._textarea] = "".join(self._text).lstrip("\n")
            self._textarea = None
        elif tag == "option" and self._option is not None:
            self._form.options["".join(self._text).strip()] = self._option
            self._option = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._form = None


def post_form(page: str, having: str) -> Form:
    """The page's POST form that has a field named ``having``."""
    parser = FormParser()
    parser.feed(page)
    for form in parser.forms:
        if having in form.fields:
            return form
    pytest.fail(f"no POST form with a field {having!r} on the page: {page[:1000]}")


@pytest.fixture(scope="session")
def browser(production, operator):
    """A browser-like client logged in through node 1's login form. Cookies do not depend on
    the port, so the same session cookie goes to every node: the session lives in the shared
    database, signed with the shared SECRET_KEY."""
    client = _httpx_client(follow_redirects=False)
    login = f"{production.nodes[0]}/accounts/login/"
    page = client.get(login)
    assert page.status_code == 200, page.text[:2000]
    fields = post_form(page.text, "username").fields
    assert "csrfmiddlewaretoken" in fields, "the login page has no CSRF token"
    answer = client.post(login, data={**fields, "username": operator.username, "password": operator.password,
                                      "next": "/"}, headers={"Referer": login})
    assert answer.status_code == 302, f"logging in answered {answer.status_code}: {answer.text[:2000]}"
    assert "sessionid" in client.cookies, "logging in set no session cookie"
    yield client
    client.close()


def admin_add(browser, node: str, model_path: str, values: dict) -> None:
    """Submit the Django admin's add form of ``model_path`` (``catalog/space``) on ``node``
    with ``values`` over the form's own defaults (the inline management forms included)."""
    url = f"{node}/admin/{model_path}/add/"
    page = browser.get(url)
    assert page.status_code == 200, f"GET {url} answered {page.status_code}"
    fields = post_form(page.text, "name").fields
    answer = browser.post(url, data={**fields, **values, "_save": "Save"}, headers={"Referer": url})
    assert answer.status_code == 302, f"the admin refused the new {model_path}: {_form_errors(answer.text)}"


def _form_errors(page: str) -> str:
    errors = re.findall(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', page, flags=re.S)
    return " | ".join(re.sub(r"<[^>]+>", " ", e).strip() for e in errors) or page[:2000]


@dataclass
class Place:
    organization: str
    space: str


@pytest.fixture(scope="session")
def place(production, browser) -> Place:
    """An organization and a space of this run, created in the Django admin over HTTP (the API
    has no endpoint for them): the organization on node 1, the space on node 2."""
    suffix = secrets.token_hex(4)
    org_name, org_slug = f"Prodtest {suffix}", f"prodtest-{suffix}"
    admin_add(browser, production.nodes[0], "catalog/organization", {"name": org_name, "slug": org_slug})
    space_form = browser.get(f"{production.nodes[1]}/admin/catalog/space/add/")
    assert space_form.status_code == 200
    org_id = post_form(space_form.text, "organization").options.get(org_name)
    assert org_id, f"the new organization {org_name} is not offered in the space form"
    admin_add(browser, production.nodes[1], "catalog/space",
              {"organization": org_id, "name": f"Prodtest space {suffix}", "slug": f"prodtest-space-{suffix}"})
    return Place(organization=org_slug, space=f"prodtest-space-{suffix}")


@pytest.fixture
def record(api, place):
    """A new model record in the run's space; its product id."""
    name = f"Prodtest model {secrets.token_hex(4)}"
    response = api[0].post(f"{API}/catalog/spaces/{place.space}/model-repository/models", json={"name": name})
    assert response.status_code == 201, response.text
    return response.json()["id"]


# --- payloads: pseudo-random bytes generated piece by piece, never held whole --------------------

BLOCK = MiB


@dataclass
class Payload:
    """``size`` deterministic pseudo-random bytes (SHAKE-256 of a seed and the block number,
    1 MiB a block), generated where they are needed, so a file of any size costs one chunk of
    memory."""

    size: int
    seed: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    fixed: bytes | None = None  # given bytes instead (a small file such as a config)
    _sha256: str | None = None

    @classmethod
    def of(cls, data: bytes) -> "Payload":
        return cls(len(data), fixed=data)

    def _block(self, number: int) -> bytes:
        return hashlib.shake_256(self.seed + number.to_bytes(8, "big")).digest(BLOCK)

    def read(self, offset: int, length: int) -> bytes:
        if self.fixed is not None:
            return self.fixed[offset:offset + length]
        length = max(0, min(length, self.size - offset))
        out = bytearray()
        number = offset // BLOCK
        while len(out) < length:
            block = self._block(number)
            start = offset + len(out) - number * BLOCK
            out += block[start:start + length - len(out)]
            number += 1
        return bytes(out)

    def chunk(self, chunk_size: int, index: int) -> bytes:
        return self.read(index * chunk_size, chunk_size)

    def chunks(self, chunk_size: int):
        for index in range(math.ceil(self.size / chunk_size)):
            yield index, self.chunk(chunk_size, index)

    @property
    def sha256(self) -> str:
        if self._sha256 is None:
            digest = hashlib.sha256()
            for _, piece in self.chunks(16 * MiB):
                digest.update(piece)
            self._sha256 = digest.hexdigest()
        return self._sha256


def b64_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def session_key(upload_id: str) -> str:
    """The bucket key of an upload session's object (the first two hex digits, then the id's
    hex), which the artifact keeps as its storage key."""
    hex_id = upload_id.replace("-", "")
    return f"{hex_id[:2]}/{hex_id}"


# --- the upload protocol over HTTP -----------------------------------------------------------------

def uploads_path(product_id: str, *rest) -> str:
    return "/".join([f"{API}/catalog/products/{product_id}/model-artifacts/uploads", *map(str, rest)])


def start_upload(client, product_id: str, payload: Payload, *, file_name: str, transfer: str = "server",
                 **extra) -> dict:
    body = {"file_name": file_name, "total_size": payload.size, "artifact_kind": extra.pop("artifact_kind", "weights"),
            "content_type": "application/octet-stream", "transfer": transfer, **extra}
    response = client.post(uploads_path(product_id), json=body)
    assert response.status_code == 201, response.text
    session = response.json()
    assert session["status"] == "open" and session["total_chunks"] == math.ceil(payload.size / session["chunk_size"])
    return session


def send_chunks(clients, product_id: str, session: dict, payload: Payload) -> None:
    """Server transfer: each chunk PUT to the next node in turn (raw bytes, exact length, with
    its Content-Digest), one chunk in memory at a time."""
    for index, data in payload.chunks(session["chunk_size"]):
        client = clients[index % len(clients)]
        response = client.put(uploads_path(product_id, session["id"], "chunks", index), content=data,
                              headers={"Content-Type": "application/octet-stream",
                                       "Content-Digest": f"sha-256=:{b64_sha256(data)}:"})
        assert response.status_code == 200, (
            f"chunk {index} via {client.base_url}: {response.status_code} {response.text}")
        assert response.json()["sha256"] == hashlib.sha256(data).hexdigest()


def send_parts_direct(clients, bucket_http, product_id: str, session: dict, payload: Payload) -> None:
    """Direct transfer: part URLs asked for in batches of at most 100 (the batches alternating
    between nodes), each part PUT straight to the bucket with the headers the server gave and
    no Authorization. Two passes over the payload, so memory holds one chunk."""
    chunk_size, total = session["chunk_size"], session["total_chunks"]
    digests = [b64_sha256(data) for _, data in payload.chunks(chunk_size)]
    urls = {}
    for batch, start in enumerate(range(0, total, 100)):
        parts = [{"index": i, "sha256": digests[i]} for i in range(start, min(start + 100, total))]
        response = clients[batch % len(clients)].post(uploads_path(product_id, session["id"], "parts"),
                                                       json={"parts": parts})
        assert response.status_code == 200, response.text
        for part in response.json()["parts"]:
            assert part["method"] == "PUT" and part["headers"]["x-amz-checksum-sha256"] == digests[part["index"]]
            urls[part["index"]] = part
    assert sorted(urls) == list(range(total))
    for index, data in payload.chunks(chunk_size):
        part = urls[index]
        headers = {k: v for k, v in part["headers"].items() if k.lower() != "content-length"}
        response = bucket_http.put(part["url"], content=data, headers=headers)
        assert response.status_code == 200, f"part {index}: the bucket answered {response.status_code} {response.text}"
    # The server learns what arrived from the bucket (ListParts), asked here of the other node.
    state = clients[-1].get(uploads_path(product_id, session["id"]))
    assert state.status_code == 200, state.text
    assert state.json()["received_chunks"] == list(range(total)), state.json()["received_chunks"]


def complete(client, product_id: str, upload_id: str) -> dict:
    response = client.post(uploads_path(product_id, upload_id, "complete"), json={})
    assert response.status_code in (201, 202), f"complete answered {response.status_code}: {response.text}"
    return response.json()


def wait_for_session(client, product_id: str, upload_id: str, *, statuses=("completed", "failed"),
                     timeout: float = 300, interval: float = 0.5) -> dict:
    """Poll the session until its status is one of ``statuses``; fails with its last state
    after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    state = {}
    for _ in range(int(timeout / interval) + 2):
        response = client.get(uploads_path(product_id, upload_id))
        assert response.status_code == 200, response.text
        state = response.json()
        if state["status"] in statuses or time.monotonic() > deadline:
            break
        time.sleep(interval)
    assert state.get("status") in statuses, (
        f"upload {upload_id} did not reach {'/'.join(statuses)} within {timeout:.0f} s; last state: "
        f"{json.dumps({k: state.get(k) for k in ('status', 'error', 'received_bytes', 'updated_at')})}")
    return state


def upload(clients, bucket_http, product_id: str, payload: Payload, *, file_name: str, transfer: str = "server",
           timeout: float = 300, **extra) -> dict:
    """The whole protocol: start on node 1, bytes through both nodes (or straight to the
    bucket), complete on node 1, poll on node 2 until completed. Returns the session."""
    session = start_upload(clients[0], product_id, payload, file_name=file_name, transfer=transfer, **extra)
    assert session["transfer"] == transfer, f"asked for {transfer} transfer, the session says {session['transfer']}"
    if transfer == "direct":
        send_parts_direct(clients, bucket_http, product_id, session, payload)
    else:
        send_chunks(clients, product_id, session, payload)
    done = complete(clients[0], product_id, session["id"])
    if done["status"] != "completed":
        done = wait_for_session(clients[-1], product_id, session["id"], timeout=timeout)
    assert done["status"] == "completed", f"the upload ended {done['status']}: {done.get('error')}"
    assert done["artifact_id"]
    return done


def object_sha256(s3, bucket: str, key: str) -> tuple[str, int]:
    """The sha256 and size of a bucket object, read as a stream."""
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    digest, size = hashlib.sha256(), 0
    try:
        for piece in body.iter_chunks(MiB):
            digest.update(piece)
            size += len(piece)
    finally:
        body.close()
    return digest.hexdigest(), size


def files_left_of(data_dirs, *, upload_id: str, sizes: set[int]) -> list[str]:
    """Files in the nodes' data directories that belong to an upload: named after it, in a
    staging folder, or of the size of the file or of one of its chunks."""
    hex_id = upload_id.replace("-", "")
    found = []
    for root in data_dirs:
        for dirpath, _, names in os.walk(root):
            for name in names:
                path = Path(dirpath) / name
                try:
                    size = path.stat().st_size
                except OSError:
                    continue
                if hex_id in name or upload_id in name or "staging" in path.relative_to(root).parts or size in sizes:
                    found.append(f"{path} ({size} bytes)")
    return found
