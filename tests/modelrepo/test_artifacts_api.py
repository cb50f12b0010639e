"""Artifacts through the API: listing, metadata, make-current, delete (tombstone), external
references, the purge of deleted bytes, and who may do what.

Stored artifacts are made the way a completed upload makes them: real bytes written into the
artifact storage under a key, then ``services.artifact_create_from_upload``."""

import hashlib
import threading
import uuid
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from catalog import services as catalog_services
from catalog.models import AuditEvent
from modelrepo import services, storage
from modelrepo.models import Artifact, ModelVersion
from modelrepo.tasks import purge_deleted_artifacts

API = "/api/v1.0/catalog/products"

ARTIFACT_KEYS = {
    "id", "file_name", "content_type", "size_bytes", "sha256", "kind", "version_id", "version_label",
    "training_run_id", "upload_status", "detected_format", "format_details", "is_current", "integrity",
    "last_verified_at", "safety", "storage", "uploaded_by", "created_at", "updated_at", "download_url",
}


@pytest.fixture
def artifact_root(settings, tmp_path):
    """Artifact storage in a temporary directory for the test."""
    root = tmp_path / "artifacts"
    settings.QARION_STORAGE = "local"
    settings.STORAGES = {
        **settings.STORAGES,
        "artifacts": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}},
    }
    storages._storages = {}
    yield root
    storages._storages = {}


def store_artifact(product, actor, data: bytes, *, file_name="model.safetensors", kind="weights", version=None,
                   make_current=False, content_type="application/octet-stream") -> Artifact:
    session_id = uuid.uuid4()
    key = storage.key_for_session(session_id)
    saved = storage.artifact_storage().save(key, ContentFile(data))
    assert saved == key
    with transaction.atomic():
        return services.artifact_create_from_upload(
            actor=actor, product=product, session_id=session_id, file_name=file_name, content_type=content_type,
            size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest(), kind=kind, version=version,
            training_run=None, storage_key=key, detected_format="safetensors", format_details={"tensors": 1},
            safety="safe", make_current=make_current,
        )


@pytest.fixture
def stored(world, artifact_root):
    """``stored(b"...", **options)`` → an artifact of world.record holding those bytes."""
    def _make(data=b"weights" * 100, **options):
        return store_artifact(world.record, world.editor, data, **options)
    return _make


def artifacts_url(product, suffix=""):
    return f"{API}/{product.pk}/model-artifacts{suffix}"


def reference_body(**overrides):
    body = {"file_name": "big.gguf", "uri": "https://models.example.com/big.gguf", "size_bytes": 123456,
            "sha256": "ab" * 32, "kind": "weights", "content_type": "application/octet-stream"}
    body.update(overrides)
    return body


# --- Listing and metadata ----------------------------------------------------------------

def test_it_lists_active_artifacts_with_the_contract_representation(world, api_as, stored):
    first = stored(b"a" * 10, file_name="a.bin")
    second = stored(b"b" * 20, file_name="b.bin", kind="tokenizer", make_current=True)
    response = api_as("viewer").get(artifacts_url(world.record))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [r["id"] for r in body["results"]] == [str(second.pk), str(first.pk)]
    item = body["results"][0]
    assert set(item) == ARTIFACT_KEYS
    assert item["sha256"] == hashlib.sha256(b"b" * 20).hexdigest()
    assert item["size_bytes"] == 20
    assert item["is_current"] is True
    assert item["upload_status"] == "completed"
    assert item["uploaded_by"] == "editor"
    assert item["storage"] == {"backend": "local", "key": second.storage_key}
    assert item["download_url"].endswith(f"/model-artifacts/{second.pk}/download")


def test_it_filters_the_list_by_kind_version_and_current(world, api_as, stored):
    version = ModelVersion.objects.create(product=world.record, label="1.0.0")
    weights = stored(b"w", file_name="w.bin", kind="weights", version=version, make_current=True)
    card = stored(b"c", file_name="card.md", kind="model_card")
    client = api_as("viewer")

    def ids(query):
        response = client.get(artifacts_url(world.record) + query)
        assert response.status_code == 200, response.content
        return {r["id"] for r in response.json()["results"]}

    assert ids("?kind=model_card") == {str(card.pk)}
    assert ids("?kind=model_card,weights") == {str(card.pk), str(weights.pk)}
    assert ids(f"?version_id={version.pk}") == {str(weights.pk)}
    assert ids("?is_current=true") == {str(weights.pk)}
    assert ids("?is_current=false") == {str(card.pk)}
    bad = client.get(artifacts_url(world.record) + "?kind=nonsense")
    assert bad.status_code == 400
    assert "kind" in bad.json()["error"]["details"]


def test_an_artifact_of_another_record_is_not_found_under_this_record(world, api_as, artifact_root):
    theirs = store_artifact(world.other_record, world.outsider, b"secret")
    client = api_as("space_admin")
    for suffix in (f"/{theirs.pk}", f"/{theirs.pk}/download"):
        assert client.get(artifacts_url(world.record, suffix)).status_code == 404
    assert client.post(artifacts_url(world.record, f"/{theirs.pk}/make-current"), {}, format="json").status_code == 404
    assert client.delete(artifacts_url(world.record, f"/{theirs.pk}")).status_code == 404
    assert client.get(artifacts_url(world.record, "/not-a-uuid")).status_code == 404


# --- Make current ------------------------------------------------------------------------

def test_make_current_moves_the_one_current_artifact_and_is_audited(world, api_as, stored):
    first = stored(b"1", file_name="one.bin", make_current=True)
    second = stored(b"2", file_name="two.bin")
    client = api_as("editor")
    response = client.post(artifacts_url(world.record, f"/{second.pk}/make-current"), {"reason": "better eval"},
                           format="json")
    assert response.status_code == 200
    assert response.json()["is_current"] is True
    first.refresh_from_db()
    assert first.is_current is False
    assert list(Artifact.objects.filter(product=world.record, is_current=True)) == [second]
    event = AuditEvent.objects.filter(action="artifact.made_current").get()
    assert event.changes["current_artifact"] == {"old": "one.bin", "new": "two.bin"}
    assert event.changes["reason"]["new"] == "better eval"
    again = client.post(artifacts_url(world.record, f"/{second.pk}/make-current"), {}, format="json")
    assert again.status_code == 200
    assert AuditEvent.objects.filter(action="artifact.made_current").count() == 1


def test_a_deleted_artifact_cannot_be_made_current(world, api_as, stored):
    artifact = stored()
    client = api_as("editor")
    assert client.delete(artifacts_url(world.record, f"/{artifact.pk}")).status_code == 204
    response = client.post(artifacts_url(world.record, f"/{artifact.pk}/make-current"), {}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# --- Delete ------------------------------------------------------------------------------

def test_delete_keeps_a_tombstone_and_the_bytes_until_purge(world, api_as, stored, artifact_root):
    artifact = stored(make_current=True)
    client = api_as("editor")
    response = client.delete(artifacts_url(world.record, f"/{artifact.pk}"))
    assert response.status_code == 204
    listing = client.get(artifacts_url(world.record)).json()
    assert listing["count"] == 0
    assert client.get(artifacts_url(world.record, f"/{artifact.pk}")).status_code == 404
    artifact.refresh_from_db()
    assert artifact.deleted_at is not None
    assert artifact.deleted_by == world.editor
    assert artifact.is_current is False
    assert artifact.purged_at is None
    assert (artifact_root / artifact.storage_key).exists()
    event = AuditEvent.objects.filter(action="artifact.deleted").get()
    assert event.changes["current_artifact"] == {"old": artifact.file_name, "new": None}
    assert client.delete(artifacts_url(world.record, f"/{artifact.pk}")).status_code == 404


def test_artifacts_of_a_released_version_cannot_be_deleted(world, api_as, stored):
    version = ModelVersion.objects.create(product=world.record, label="2.0.0")
    artifact = stored(version=version)
    ModelVersion.objects.filter(pk=version.pk).update(status="released", released_at=timezone.now())
    response = api_as("editor").delete(artifacts_url(world.record, f"/{artifact.pk}"))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "version_released"
    assert "2.0.0 is released and immutable" in response.json()["error"]["message"]
    artifact.refresh_from_db()
    assert artifact.deleted_at is None


# --- Purge -------------------------------------------------------------------------------

def test_purge_removes_bytes_only_after_the_retention_period(world, api_as, stored, artifact_root, settings):
    settings.QARION_ARTIFACT_RETENTION_DAYS = 30
    kept = stored(b"keep", file_name="keep.bin")
    gone = stored(b"gone", file_name="gone.bin")
    client = api_as("editor")
    assert client.delete(artifacts_url(world.record, f"/{gone.pk}")).status_code == 204

    assert purge_deleted_artifacts.apply().get() == 0  # deleted just now: within retention
    gone.refresh_from_db()
    assert gone.purged_at is None
    assert (artifact_root / gone.storage_key).exists()

    Artifact.objects.filter(pk=gone.pk).update(deleted_at=timezone.now() - timedelta(days=31))
    assert purge_deleted_artifacts.apply().get() == 1
    gone.refresh_from_db()
    assert gone.purged_at is not None
    assert not (artifact_root / gone.storage_key).exists()
    assert (artifact_root / kept.storage_key).exists()
    assert Artifact.objects.filter(pk=gone.pk).exists()  # the tombstone stays
    assert AuditEvent.objects.filter(action="artifact.purged").count() == 1

    assert purge_deleted_artifacts.apply().get() == 0  # idempotent
    assert AuditEvent.objects.filter(action="artifact.purged").count() == 1


def test_an_operator_purges_a_deletion_now_with_the_command(world, api_as, stored, artifact_root, settings):
    from io import StringIO

    from django.core.management import CommandError, call_command

    settings.QARION_ARTIFACT_RETENTION_DAYS = 30
    gone = stored(b"gone", file_name="gone.bin")
    kept = stored(b"keep", file_name="keep.bin")
    assert api_as("editor").delete(artifacts_url(world.record, f"/{gone.pk}")).status_code == 204
    out = StringIO()
    call_command("purge_deleted_artifacts", stdout=out)  # the retention period still runs
    assert "0 deleted artifact(s)" in out.getvalue() and (artifact_root / gone.storage_key).exists()
    call_command("purge_deleted_artifacts", "--older-than-days", "0", stdout=out)
    assert "1 deleted artifact(s)" in out.getvalue()
    assert not (artifact_root / gone.storage_key).exists() and (artifact_root / kept.storage_key).exists()
    gone.refresh_from_db()
    assert gone.purged_at is not None
    with pytest.raises(CommandError, match="0 or more"):
        call_command("purge_deleted_artifacts", "--older-than-days", "-1")


def test_purge_works_through_several_batches(world, stored, artifact_root):
    artifacts = [stored(bytes([i]), file_name=f"f{i}.bin") for i in range(5)]
    Artifact.objects.filter(pk__in=[a.pk for a in artifacts]).update(deleted_at=timezone.now() - timedelta(days=365))
    assert purge_deleted_artifacts(batch_size=2) == 5
    assert Artifact.objects.filter(purged_at__isnull=True).count() == 0
    assert not any((artifact_root / a.storage_key).exists() for a in artifacts)


# --- External references -----------------------------------------------------------------

def test_it_registers_an_external_reference_without_fetching_it(world, api_as, monkeypatch):
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("the server must never fetch a registered URI")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    response = api_as("editor").post(artifacts_url(world.record, "/references"),
                                     reference_body(sha256="AB" * 32, make_current=True), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == ARTIFACT_KEYS
    assert body["upload_status"] == "external"
    assert body["detected_format"] == "unknown"
    assert body["storage"] == {"uri": "https://models.example.com/big.gguf"}
    assert body["sha256"] == "ab" * 32
    assert body["is_current"] is True
    assert response["Location"].endswith(f"/model-artifacts/{body['id']}")
    assert AuditEvent.objects.filter(action="artifact.registered").count() == 1


@pytest.mark.parametrize("field,value", [
    ("uri", "file:///etc/passwd"),
    ("uri", "ftp://example.com/x"),
    ("uri", "https://user:secret@example.com/x"),
    ("uri", "https:///no-host"),
    ("uri", "https://example.com/" + "a" * 2000),
    ("uri", "https://example.com/has space"),
    ("sha256", "abc"),
    ("size_bytes", 0),
    ("file_name", "../evil.bin"),
    ("kind", "blob"),
    ("content_type", "not a type"),
])
def test_it_refuses_a_malformed_reference(world, api_as, field, value):
    response = api_as("editor").post(artifacts_url(world.record, "/references"), reference_body(**{field: value}),
                                     format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["details"]
    assert not Artifact.objects.exists()


def test_it_accepts_object_store_and_hub_references(world, api_as):
    client = api_as("editor")
    for index, uri in enumerate(["s3://bucket/model.bin", "gs://bucket/m.bin", "hf://org/model/file.bin",
                                 "abfss://container@account.dfs.core.windows.net/m.bin"]):
        response = client.post(artifacts_url(world.record, "/references"),
                               reference_body(uri=uri, file_name=f"m{index}.bin"), format="json")
        if "@" in uri:
            assert response.status_code == 400  # an authority with "@" could smuggle credentials
        else:
            assert response.status_code == 201, response.content


def test_a_reference_to_a_version_of_another_record_is_refused(world, api_as):
    theirs = ModelVersion.objects.create(product=world.other_record, label="9.9.9")
    response = api_as("editor").post(artifacts_url(world.record, "/references"),
                                     reference_body(version_id=str(theirs.pk)), format="json")
    assert response.status_code == 400
    assert "version_id" in response.json()["error"]["details"]


def test_a_reference_cannot_join_a_released_version(world, api_as):
    version = ModelVersion.objects.create(product=world.record, label="1.0.0", status="released")
    response = api_as("editor").post(artifacts_url(world.record, "/references"),
                                     reference_body(version_id=str(version.pk)), format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "version_released"


# --- Who may do what ---------------------------------------------------------------------

READ = {"viewer", "member", "editor", "space_admin", "org_admin"}
WRITE = {"editor", "space_admin", "org_admin"}
ENDPOINTS = [
    # (name, method, suffix, body, status when allowed, is a write)
    ("list", "get", "", None, 200, False),
    ("detail", "get", "/{artifact}", None, 200, False),
    ("download", "get", "/{artifact}/download", None, 200, False),
    ("make_current", "post", "/{artifact}/make-current", {}, 200, True),
    ("delete", "delete", "/{artifact}", None, 204, True),
    ("reference", "post", "/references", "reference", 201, True),
]


@pytest.mark.parametrize("username", ["anonymous", "outsider", "org_member", "viewer", "member", "editor",
                                      "space_admin", "org_admin"])
@pytest.mark.parametrize("name,method,suffix,body,ok,write", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_artifact_endpoints_answer_each_role_as_the_policy_says(world, api_as, stored, username, name, method,
                                                                suffix, body, ok, write):
    artifact = stored()
    client = APIClient() if username == "anonymous" else api_as(username)
    url = artifacts_url(world.record, suffix.format(artifact=artifact.pk))
    payload = reference_body() if body == "reference" else body
    response = getattr(client, method)(url, payload, format="json") if payload is not None else getattr(client, method)(url)
    if username == "anonymous":
        expected = 401
    elif username not in READ:
        expected = 404
    elif write and username not in WRITE:
        expected = 403
    else:
        expected = ok
    assert response.status_code == expected, response.content
    if expected >= 400:
        assert set(response.json()["error"]) == {"code", "message", "details"}
    if response.streaming:
        b"".join(response.streaming_content)  # consuming it closes the file


def test_a_read_only_token_cannot_write(world, api_as, stored):
    artifact = stored()
    client = api_as("editor", scope="read")
    assert client.get(artifacts_url(world.record)).status_code == 200
    assert client.delete(artifacts_url(world.record, f"/{artifact.pk}")).status_code == 403


# --- Concurrency -------------------------------------------------------------------------

def token_client(user) -> APIClient:
    """A client with its own write token (one per thread)."""
    _, secret = catalog_services.api_token_create(actor=user, name=f"t-{uuid.uuid4().hex[:8]}", scope="write")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def _in_parallel(calls):
    """Run each call in its own thread (own database connection), all released at once."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # surfaced by the assertions below
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_make_current_calls_leave_exactly_one_current_artifact(world, stored):
    artifacts = [stored(bytes([i]) * 10, file_name=f"m{i}.bin") for i in range(4)]
    clients = [token_client(world.editor) for _ in artifacts]
    calls = [
        (lambda c=c, a=a: c.post(artifacts_url(world.record, f"/{a.pk}/make-current"), {}, format="json"))
        for c, a in zip(clients, artifacts)
    ]
    for _ in range(3):
        responses = _in_parallel(calls)
        for response in responses:
            assert not isinstance(response, Exception), response
            assert response.status_code == 200, response.content
        assert Artifact.objects.filter(product=world.record, is_current=True).count() == 1


# --- The OpenAPI document ----------------------------------------------------------------

SCHEMA_OPERATIONS = {
    # path under /api/v1.0/catalog/products/{product_id}: {method: has a request body}
    "/model-versions": {"get": False, "post": True},
    "/model-versions/{version_id}": {"get": False, "patch": True},
    "/model-versions/{version_id}/make-current": {"post": True},
    "/model-versions/rollback": {"post": True},
    "/model-versions/history": {"get": False},
    "/model-artifacts": {"get": False},
    "/model-artifacts/{artifact_id}": {"get": False, "delete": False},
    "/model-artifacts/{artifact_id}/make-current": {"post": True},
    "/model-artifacts/{artifact_id}/download": {"get": False},
    "/model-artifacts/references": {"post": True},
}


def test_every_endpoint_is_in_the_schema_with_its_bodies(db):
    schema = APIClient().get("/api/schema/?format=json").json()
    for suffix, methods in SCHEMA_OPERATIONS.items():
        path = schema["paths"].get("/api/v1.0/catalog/products/{product_id}" + suffix)
        assert path is not None, suffix
        for method, has_body in methods.items():
            operation = path[method]
            assert bool(operation.get("requestBody")) is has_body, (suffix, method)
            ok = [status for status in operation["responses"] if status.startswith("2")]
            assert ok, (suffix, method)
            if method != "delete":
                assert any(operation["responses"][s].get("content") for s in ok), (suffix, method)
            assert "404" in operation["responses"]


# --- Query counts ------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/model-artifacts", "/model-versions", "/model-versions/history"])
def test_list_endpoints_do_not_grow_their_query_count_with_the_page(world, api_as, stored, path,
                                                                    django_assert_max_num_queries):
    from modelrepo import versions as version_services

    client = api_as("viewer")
    url = f"{API}/{world.record.pk}{path}"

    def add(n):
        for _ in range(n):
            index = ModelVersion.objects.count()
            version = ModelVersion.objects.create(product=world.record, label=f"{index}.0", created_by=world.editor)
            version_services.version_make_current(actor=world.editor, product=world.record, version=version)
            stored(bytes([index]), file_name=f"f{index}.bin", make_current=True)

    add(2)
    client.get(url)  # warm up per-process caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    add(8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.json()["count"] == 10
