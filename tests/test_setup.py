"""The deployment files agree with each other and with the settings: the compose file, the
Dockerfile, .env.example, the Makefile, the CI script and the README; and the health check."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
PROJECT_PACKAGES = ("qarion", "common", "catalog", "modelrepo", "uploads", "governance", "demo")
ENV_HELPER_CALL = re.compile(r"\benv_(str|bool|int|list|path|secret)\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']")
OS_ENVIRON_READ = re.compile(r"os\.(?:environ\.get|getenv)\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']|os\.environ\[\s*[\"']([A-Z][A-Z0-9_]*)[\"']\s*\]")
COMPOSE_VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)")


def documented_variables() -> set[str]:
    text = (REPO / ".env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def variables_read_by(paths) -> set[str]:
    names = set()
    for path in paths:
        text = path.read_text()
        for helper, name in ENV_HELPER_CALL.findall(text):
            names.add(name)
            if helper == "secret":
                names.add(f"{name}_FILE")
        for get_name, index_name in OS_ENVIRON_READ.findall(text):
            names.add(get_name or index_name)
    return names


def project_python_files():
    for package in PROJECT_PACKAGES:
        for path in (REPO / package).rglob("*.py"):
            if "migrations" not in path.parts and path.name != "env.py":
                yield path


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def test_the_compose_file_parses_and_names_every_service(compose):
    assert set(compose["services"]) == {"postgres", "redis", "web", "worker", "beat"}
    assert compose["services"]["postgres"]["image"].startswith("postgres:16")
    assert compose["services"]["redis"]["image"].startswith("redis:7")


def test_web_worker_and_beat_share_the_data_volume_and_settings(compose):
    services = compose["services"]
    for name in ("web", "worker", "beat"):
        service = services[name]
        assert "qarion-data:/data" in service["volumes"], name
        assert service["environment"]["QARION_DATA_DIR"] == "/data", name
        assert service["environment"]["CELERY_BROKER_URL"].startswith("redis://redis:"), name
        assert service["environment"]["DATABASE_URL"].startswith("postgres://"), name
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert {"postgres-data", "qarion-data"} <= set(compose["volumes"])


def test_the_services_run_gunicorn_and_celery(compose):
    services = compose["services"]
    web = " ".join(services["web"]["command"])
    assert "migrate --noinput" in web and "collectstatic --noinput" in web and "gunicorn qarion.wsgi" in web
    assert services["worker"]["command"][:4] == ["celery", "-A", "qarion", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "qarion", "beat"]


def test_every_variable_the_compose_file_uses_is_documented():
    used = set(COMPOSE_VARIABLE.findall((REPO / "docker-compose.yml").read_text()))
    assert used, "the compose file should take its settings from the environment"
    missing = used - documented_variables()
    assert not missing, f"document these in .env.example: {sorted(missing)}"


def test_every_variable_the_settings_read_is_documented():
    read = variables_read_by([REPO / "qarion" / "settings.py", *project_python_files()])
    assert {"DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "SECRET_KEY_FILE", "QARION_DATA_DIR"} <= read
    missing = read - documented_variables()
    assert not missing, f"document these in .env.example: {sorted(missing)}"


def test_the_upload_settings_of_the_api_contract_are_documented():
    upload = {"QARION_UPLOAD_MAX_SIZE", "QARION_UPLOAD_CHUNK_SIZE", "QARION_UPLOAD_SESSION_TTL",
              "QARION_UPLOAD_STAGING_DIR", "QARION_ARTIFACT_RETENTION_DAYS"}
    assert upload <= documented_variables()


def test_the_env_example_sets_no_real_secret():
    for line in (REPO / ".env.example").read_text().splitlines():
        if re.match(r"^(SECRET_KEY|POSTGRES_PASSWORD)=", line):
            assert line.split("=", 1)[1] == "", line


def test_the_dockerfile_builds_a_non_root_image_with_collected_static_files():
    text = (REPO / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", text, flags=re.MULTILINE)
    assert re.search(r"^USER (?!root)\w+", text, flags=re.MULTILINE)
    assert "pip install ." in text
    assert "QARION_STATIC_MANIFEST=true" in text and "collectstatic --noinput" in text


def test_the_makefile_has_the_documented_targets():
    text = (REPO / "Makefile").read_text()
    for target in ("run", "test", "install", "migrate", "demo", "worker", "beat", "clean"):
        assert re.search(rf"^{target}:", text, flags=re.MULTILINE), target
    run = text[text.index("\nrun:"):text.index("\ntest:")]
    assert "gunicorn qarion.wsgi --bind 127.0.0.1:$(PORT)" in run  # served as deployed
    assert "runserver" not in run and "DEBUG=true" not in run
    assert "pytest $(PYTEST_ARGS)" in text


def test_the_readme_starts_with_the_two_commands():
    text = (REPO / "README.md").read_text()
    assert "make run" in text and "make test" in text
    assert text.index("make run") < text.index("## Configuration")
    assert "http://127.0.0.1:8000" in text
    for login in ("admin", "alice", "bob", "carol"):
        assert f"`{login}`" in text


def test_the_ci_script_is_strict_and_executable():
    path = REPO / ".ci" / "run"
    text = path.read_text()
    assert os.access(path, os.X_OK)
    assert "set -euo pipefail" in text
    assert "QARION_INTEGRATION=1" in text and "QARION_REQUIRE_BROWSER=1" in text


def test_static_files_collect_into_the_manifest_the_pages_resolve_against(tmp_path, client, world, settings):
    # What the container image does at build time: hashed names, compressed copies, a manifest.
    static_root = tmp_path / "static"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "DEBUG")}
    env.update(QARION_DATA_DIR=str(tmp_path / "data"), QARION_STATIC_ROOT=str(static_root), QARION_STATIC_MANIFEST="true")
    collect = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=REPO, env=env,
                             capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert collect.returncode == 0, collect.stderr[-3000:]
    assert (static_root / "staticfiles.json").exists()

    settings.STATIC_ROOT = static_root
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
    login_page = client.get("/accounts/login/")
    assert login_page.status_code == 200
    assert re.search(r"/static/[^\"']+\.[0-9a-f]{12}\.(css|js|svg)", login_page.content.decode())
    client.force_login(world.editor)
    assert client.get(f"/s/{world.lab.slug}/models/").status_code == 200
    assert client.get(f"/models/{world.record.pk}/").status_code == 200


# --- /health/ ---------------------------------------------------------------------------------

def test_health_is_ok_in_the_embedded_shape_without_login(client, db, settings):
    settings.CELERY_BROKER_URL = None
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": {"status": "ok"}, "storage": {"status": "ok", "backend": settings.QARION_STORAGE},
                   "broker": {"status": "eager"}, "workers": {"status": "eager"}},
    }
    assert "no-cache" in response["Cache-Control"]


def test_health_is_degraded_when_the_broker_does_not_answer(client, db, settings):
    # A loopback port nothing listens on: refused at once.
    settings.CELERY_BROKER_URL = "redis://:not-to-be-shown@127.0.0.1:9/0"
    response = client.get("/health/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"] == {"status": "ok"}
    assert body["checks"]["broker"]["status"] == "down"
    assert "not-to-be-shown" not in response.content.decode()


def test_health_only_answers_reads(client, db):
    assert client.post("/health/").status_code == 405


def _settings_load(env: dict) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("QARION_", "DATABASE_", "CELERY_"))}
    return subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=REPO, timeout=60,
                          env={**base, "DJANGO_SETTINGS_MODULE": "qarion.settings", **env},
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)


def test_object_storage_without_a_shared_signing_key_refuses_to_start(tmp_path):
    s3 = {"QARION_DATA_DIR": str(tmp_path), "QARION_STORAGE": "s3", "QARION_S3_BUCKET": "artifacts"}
    refused = _settings_load(s3)
    assert refused.returncode != 0 and "QARION_SIGNING_KEY_FILE" in refused.stderr
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = tmp_path / "signing-key.pem"
    key.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    started = _settings_load({**s3, "QARION_SIGNING_KEY_FILE": str(key)})
    assert started.returncode == 0, started.stderr
