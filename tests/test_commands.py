"""``manage.py create_api_token``: the token alone on stdout; errors on stderr, non-zero exit."""

import io
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIRequestFactory

from catalog import tokens
from catalog.authentication import BearerTokenAuthentication
from catalog.models import ApiToken, AuditEvent
from tests.conftest import make_user

REPO = Path(__file__).resolve().parent.parent


def create_token(*args) -> str:
    out = io.StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_it_prints_only_a_token_that_authenticates_as_the_user(db):
    alice = make_user("alice")
    output = create_token("alice", "--name", "ci", "--scope", "write")
    token = output.strip()
    assert output == token + "\n"
    assert tokens.parse(token) is not None
    row = ApiToken.objects.get(user=alice, name="ci")
    assert row.scope == "write" and row.expires_at is None
    secret = tokens.parse(token)[1]
    assert row.secret_sha256 == tokens.digest(secret) and secret not in row.secret_sha256  # only the digest
    request = APIRequestFactory().get("/api/v1.0/", HTTP_AUTHORIZATION=f"Bearer {token}")
    user, auth = BearerTokenAuthentication().authenticate(request)
    assert user == alice and auth == row
    assert AuditEvent.objects.filter(action="api_token.created", target_id=str(row.pk)).exists()


def test_it_sets_the_scope_and_the_expiry(db):
    make_user("bob")
    create_token("bob", "--name", "reader", "--scope", "read", "--expires-days", "7")
    row = ApiToken.objects.get(name="reader")
    assert row.scope == "read"
    assert timezone.now() + timedelta(days=6) < row.expires_at <= timezone.now() + timedelta(days=7)


def test_it_refuses_an_unknown_user(db):
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        create_token("ghost", "--name", "ci", "--scope", "read")


def test_it_refuses_a_bad_scope(db):
    make_user("alice")
    with pytest.raises(CommandError, match="read, write"):
        create_token("alice", "--name", "ci", "--scope", "admin")
    assert not ApiToken.objects.exists()


def test_it_refuses_a_duplicate_name(db):
    make_user("alice")
    create_token("alice", "--name", "ci", "--scope", "read")
    with pytest.raises(CommandError, match="already"):
        create_token("alice", "--name", "ci", "--scope", "write")
    assert ApiToken.objects.count() == 1


def test_it_refuses_a_disabled_user(db):
    make_user("dora", is_active=False)
    with pytest.raises(CommandError, match="disabled"):
        create_token("dora", "--name", "ci", "--scope", "read")


def test_from_the_shell_the_token_is_alone_on_stdout_and_errors_exit_non_zero(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")}
    env["QARION_DATA_DIR"] = str(tmp_path / "data")

    def manage(*args):
        return subprocess.run([sys.executable, "manage.py", *args], cwd=REPO, env=env, capture_output=True,
                              text=True, timeout=120, stdin=subprocess.DEVNULL)

    assert manage("migrate", "--noinput", "-v", "0").returncode == 0
    assert manage("shell", "-c", "from django.contrib.auth.models import User; User.objects.create_user('erin')"
                  ).returncode == 0

    ok = manage("create_api_token", "erin", "--name", "ci", "--scope", "write")
    assert ok.returncode == 0, ok.stderr
    assert tokens.parse(ok.stdout.strip()) is not None
    assert ok.stdout.count("\n") == 1

    for args, message in [(("ghost", "--name", "ci", "--scope", "read"), "No user named"),
                          (("erin", "--name", "ci", "--scope", "read"), "already"),
                          (("erin", "--name", "other", "--scope", "admin"), "Scope must be")]:
        failed = manage("create_api_token", *args)
        assert failed.returncode != 0
        assert failed.stdout == ""
        assert message in failed.stderr
