"""The demo: ``load_demo`` builds the documented installation once, and ``make run`` on a
fresh data directory serves it to a person who signs in with a demo login."""

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from catalog import access
from catalog.choices import AI_PRODUCT_TYPES
from catalog.models import AuditEvent, Organization, OrganizationMembership, Product, Space, SpaceMembership
from demo import data as demo_data

REPO = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 90
# Settings of the services shapes, which `make run` (the embedded shape) must not inherit.
SERVICE_VARIABLES = ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "QARION_STORAGE",
                     "MAKEFLAGS", "MFLAGS", "MAKELEVEL")


def counts():
    return {
        "users": get_user_model().objects.count(),
        "organizations": Organization.objects.count(),
        "spaces": Space.objects.count(),
        "organization_memberships": OrganizationMembership.objects.count(),
        "space_memberships": SpaceMembership.objects.count(),
        "records": Product.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }


def load_demo():
    call_command("load_demo", stdout=open(os.devnull, "w"))


def test_load_demo_is_idempotent(db):
    load_demo()
    first = counts()
    load_demo()
    assert counts() == first
    assert first["users"] == 4 and first["organizations"] == 1 and first["spaces"] == 2
    assert 30 <= first["records"] <= 40


def test_load_demo_creates_the_documented_logins_and_roles(db):
    load_demo()
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(username__in=["admin", "alice", "bob", "carol"])}
    assert set(users) == {"admin", "alice", "bob", "carol"}
    assert all(user.check_password("demo") for user in users.values())
    assert users["admin"].is_superuser and users["admin"].is_staff
    assert not any(users[name].is_staff for name in ("alice", "bob", "carol"))

    org = Organization.objects.get(slug="demo")
    org_roles = dict(OrganizationMembership.objects.filter(organization=org).values_list("user__username", "role"))
    assert org_roles == {"admin": "org_admin", "alice": "member", "bob": "member", "carol": "member"}
    space_roles = set(SpaceMembership.objects.values_list("user__username", "space__slug", "role"))
    assert space_roles == {("alice", "research", "editor"), ("alice", "production", "viewer"),
                           ("bob", "research", "viewer")}

    research, production = Space.objects.get(slug="research"), Space.objects.get(slug="production")
    assert access.can(users["alice"], access.CREATE_PRODUCT, research)
    assert not access.can(users["alice"], access.CREATE_PRODUCT, production)
    assert access.can(users["bob"], access.VIEW, research) and not access.can(users["bob"], access.EDIT, research)
    assert not access.can(users["carol"], access.VIEW, research)
    assert access.can(users["carol"], access.VIEW_DIRECTORY, org)


def test_load_demo_links_the_churn_model_to_its_source_and_consumer(db):
    from catalog.models import LineageEdge

    load_demo()
    load_demo()
    edges = {(e.upstream.name, e.downstream.name) for e in LineageEdge.objects.select_related("upstream", "downstream")}
    assert edges == {("Customer events", "Customer Churn Predictor"),
                     ("Customer Churn Predictor", "Retention dashboard")}
    assert Product.objects.filter(name="Customer events", product_type="dataset").count() == 1


def test_load_demo_records_are_varied_and_audited(db):
    load_demo()
    records = Product.objects.filter(product_type__in=AI_PRODUCT_TYPES).select_related("model_details")
    assert {r.space.slug for r in records} == {"research", "production"}
    assert {r.product_type for r in records} == set(AI_PRODUCT_TYPES)
    details = [r.model_details for r in records]
    assert len({d.model_family for d in details}) >= 6
    assert len({d.task_type for d in details}) >= 8
    assert {d.risk_classification for d in details} == {"unclassified", "unacceptable", "high", "limited", "minimal"}
    assert {d.deployment_status for d in details} == {"development", "staging", "production", "retired"}
    assert len({d.lifecycle_stage for d in details}) >= 6
    assert records.filter(is_archived=True).exists() and records.filter(is_archived=False).exists()
    assert all(r.tags.exists() for r in records)
    audited = set(AuditEvent.objects.filter(action="model_record.created").values_list("target_id", flat=True))
    assert audited == {str(r.pk) for r in records}


# --- make run serves the demo ---------------------------------------------------------------------

def free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def wait_until_serving(process, url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"make run exited with status {process.returncode}:\n{tail(log)}")
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return
        except urllib.error.HTTPError:
            return  # the server answers; the caller checks the status
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"make run did not answer {url} within {STARTUP_TIMEOUT} s:\n{tail(log)}")


def stop(process) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)
    except ProcessLookupError:
        pass


def test_make_run_serves_the_demo_to_a_demo_login(tmp_path):
    port = free_loopback_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    env["QARION_DATA_DIR"] = str(tmp_path / "data")
    log = tmp_path / "make-run.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(["make", "run", f"PORT={port}"], cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until_serving(process, f"{base}/accounts/login/", log)
        assert f"{base}/" in log.read_text(), "make run should print the URL before serving"
        try:  # served as deployed: DEBUG off, so an unknown address gets the product's 404 page
            urllib.request.urlopen(f"{base}/no/such/page/", timeout=30)
        except urllib.error.HTTPError as exc:
            assert exc.code == 404 and "Using the URLconf" not in exc.read().decode()
        assert "gunicorn" in log.read_text().lower()

        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        with browser.open(f"{base}/accounts/login/", timeout=30) as response:
            assert response.status == 200
            page = response.read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, "the login page should carry a CSRF token"
        form = urllib.parse.urlencode(
            {"username": "alice", "password": "demo", "csrfmiddlewaretoken": token.group(1)}
        ).encode()
        login = urllib.request.Request(f"{base}/accounts/login/", data=form, headers={"Referer": f"{base}/accounts/login/"})
        with browser.open(login, timeout=30) as response:
            assert response.status == 200
            assert urllib.parse.urlparse(response.url).path != "/accounts/login/", "alice/demo should sign in"
        assert any(cookie.name == "sessionid" for cookie in jar)

        with browser.open(f"{base}/s/research/models/", timeout=30) as response:
            assert response.status == 200
            listing = response.read().decode()
        shown = [r["name"] for r in demo_data.RECORDS["research"]
                 if not r.get("is_archived") and re.fullmatch(r"[A-Za-z0-9 ]+", r["name"]) and r["name"] in listing]
        assert shown, f"the research list should show demo records:\n{listing[:2000]}"
    finally:
        stop(process)


def test_the_demo_has_versions_and_real_files_assembled_through_the_upload_path(db, settings, tmp_path):
    from django.core.management import call_command

    from modelrepo.models import Artifact, ModelDetails
    call_command("load_demo", stdout=open(tmp_path / "out.txt", "w"))
    call_command("load_demo", stdout=open(tmp_path / "out2.txt", "w"))
    artifacts = Artifact.objects.order_by("file_name")
    assert [(a.file_name, a.detected_format) for a in artifacts] == [
        ("MODEL_CARD.md", "markdown"), ("churn-model.safetensors", "safetensors"),
        ("clause-classifier.safetensors", "safetensors")]
    churn = ModelDetails.objects.get(product__name="Customer Churn Predictor")
    assert churn.current_version.label == "1.1.0"
    assert Artifact.objects.get(product=churn.product, is_current=True).file_name == "churn-model.safetensors"
