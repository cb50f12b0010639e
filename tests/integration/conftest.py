"""Tests against the real services: PostgreSQL, Redis and a Celery worker process.

They run only with ``QARION_INTEGRATION=1`` (the second phase of .ci/run) and are skipped,
with the reason, otherwise. With ``QARION_INTEGRATION=1`` a missing service is a failure,
never a skip: ``DATABASE_URL`` must name PostgreSQL and ``CELERY_BROKER_URL`` a Redis
that answers.

``celery_worker`` starts a worker subprocess with the same environment except that
``DATABASE_URL`` names pytest-django's test database, so tasks see the rows that tests commit
(use ``transactional_db`` or ``django_db(transaction=True)`` for that). It lives while the
tests of one module run, on a purged queue: the other tests of the suite also enqueue tasks
when a broker is configured, and a worker running beside them would pick those up with
settings (staging folders, overrides) that only the test process has.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ENABLED = os.environ.get("QARION_INTEGRATION") == "1"
SKIP_REASON = "integration tests need QARION_INTEGRATION=1 with PostgreSQL and Redis (see .ci/run)"
HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
WORKER_START_TIMEOUT = 60
WORKER_STOP_TIMEOUT = 20


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.integration)
            if not ENABLED:
                item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


def database_url_for(url: str, database_name: str) -> str:
    """``url`` with its database name replaced (the test database pytest-django created)."""
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + urllib.parse.quote(database_name)))


@pytest.fixture(scope="session", autouse=True)
def integration_services(django_db_setup, django_db_blocker):
    """Fails (not skips) when the services the integration tests need are missing."""
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine != "django.db.backends.postgresql":
        pytest.fail(f"QARION_INTEGRATION=1 needs DATABASE_URL=postgres://...; the database engine is {engine}.")
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    if not settings.CELERY_BROKER_URL:
        pytest.fail("QARION_INTEGRATION=1 needs CELERY_BROKER_URL=redis://...")
    from qarion.celery import app

    try:
        with app.connection_for_write(connect_timeout=5) as broker:
            broker.ensure_connection(max_retries=3)
    except Exception as exc:
        pytest.fail(f"The broker in CELERY_BROKER_URL does not answer: {type(exc).__name__}: {exc}")


def _log_tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@pytest.fixture(scope="module")
def celery_worker(integration_services, django_db_setup, tmp_path_factory):
    """A real Celery worker subprocess on the test database; yields its node name."""
    from qarion.celery import app

    app.control.purge()  # tasks other tests left in the queue are not this worker's to run

    test_database = settings.DATABASES["default"]["NAME"]
    env = dict(os.environ)
    env["DATABASE_URL"] = database_url_for(os.environ["DATABASE_URL"], test_database)
    node = f"integration-{os.getpid()}@localhost"
    log = tmp_path_factory.mktemp("celery-worker") / "worker.log"
    command = [
        sys.executable, "-m", "celery", "-A", "qarion", "worker",
        "--pool=solo", "--concurrency=1", "-Q", getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery"),
        "--include", "qarion.tasks",
        "--hostname", node, "--loglevel=INFO", "--without-gossip", "--without-mingle",
    ]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + WORKER_START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"The Celery worker exited with status {process.returncode}:\n{_log_tail(log)}")
            if app.control.ping(destination=[node], timeout=1.0):
                break
            if time.monotonic() > deadline:
                pytest.fail(f"The Celery worker did not answer a ping within {WORKER_START_TIMEOUT} s:\n{_log_tail(log)}")
        yield node
    finally:
        _stop(process)


def _stop(process) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)  # warm shutdown: finish the current task, then exit
        process.wait(timeout=WORKER_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=WORKER_STOP_TIMEOUT)
    except ProcessLookupError:
        pass
