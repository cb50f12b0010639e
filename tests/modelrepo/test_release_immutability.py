"""Releasing locks a version: every way to change it or its artifacts is refused with a
clear message and nothing changes. Deprecating and yanking are audited; a yanked version
cannot be made current; unsafe artifacts cannot be released or made current."""

import pytest
from django.contrib.auth import get_user_model

from catalog.models import AuditEvent
from common.errors import Conflict
from modelrepo import artifacts as artifact_services
from modelrepo import services
from modelrepo import versions as version_services
from modelrepo.models import Artifact, ModelVersion
from tests.modelrepo.test_artifacts_api import artifact_root, store_artifact  # noqa: F401

API = "/api/v1.0/catalog/products"
MESSAGE = "Version 1.4.0 is released and immutable; create a new version."


@pytest.fixture(autouse=True)
def signing_key(settings, tmp_path):
    settings.QARION_SIGNING_KEY = None
    settings.QARION_SIGNING_KEY_PATH = tmp_path / "signing-key.pem"
    settings.QARION_SIGNING_TRUSTED_KEYS_FILE = tmp_path / "trusted.pem"


@pytest.fixture
def released(world, artifact_root):  # noqa: F811
    version = ModelVersion.objects.create(product=world.record, label="1.4.0")
    artifact = store_artifact(world.record, world.editor, b"weights" * 10, file_name="model.safetensors",
                              version=version)
    version_services.version_release(actor=world.editor, product=world.record, version=version)
    version.refresh_from_db()
    return version, artifact


def _state(version, artifact):
    version.refresh_from_db()
    artifact.refresh_from_db()
    return (version.label, version.release_notes, version.status, version.released_at, version.signature,
            artifact.deleted_at, artifact.sha256, artifact.file_name, version.artifacts.count())


def test_release_is_audited_and_signed(world, released):
    version, _ = released
    assert version.status == "released" and version.released_by == world.editor and version.signature
    assert AuditEvent.objects.filter(action="version.released").count() == 1


def test_a_version_without_uploaded_files_cannot_be_released(world, api_as, artifact_root):  # noqa: F811
    version = ModelVersion.objects.create(product=world.record, label="0.1")
    response = api_as("editor").post(f"{API}/{world.record.pk}/model-versions/{version.pk}/release")
    assert response.status_code == 409 and response.json()["error"]["code"] == "version_empty"
    version.refresh_from_db()
    assert version.status == "draft"


@pytest.mark.parametrize("username, status", [("viewer", 403), ("outsider", 404), ("member", 403)])
def test_only_editors_release(world, api_as, artifact_root, username, status):  # noqa: F811
    version = ModelVersion.objects.create(product=world.record, label="0.2")
    store_artifact(world.record, world.editor, b"x", file_name="a.bin", version=version)
    response = api_as(username).post(f"{API}/{world.record.pk}/model-versions/{version.pk}/release")
    assert response.status_code == status
    version.refresh_from_db()
    assert version.status == "draft"


def test_releasing_twice_is_refused(world, api_as, released):
    version, _ = released
    response = api_as("editor").post(f"{API}/{world.record.pk}/model-versions/{version.pk}/release")
    assert response.status_code == 409 and response.json()["error"]["code"] == "version_released"


def test_api_patch_is_refused_and_nothing_changes(world, api_as, released):
    version, artifact = released
    before = _state(version, artifact)
    response = api_as("editor").patch(f"{API}/{world.record.pk}/model-versions/{version.pk}",
                                      {"label": "1.4.1", "release_notes": "changed"}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["message"] == MESSAGE
    assert _state(version, artifact) == before


def test_api_delete_of_an_artifact_is_refused(world, api_as, released):
    version, artifact = released
    before = _state(version, artifact)
    response = api_as("editor").delete(f"{API}/{world.record.pk}/model-artifacts/{artifact.pk}")
    assert response.status_code == 409 and "1.4.0 is released and immutable" in response.json()["error"]["message"]
    assert _state(version, artifact) == before


def test_no_artifact_can_join_a_released_version(world, api_as, released):
    version, artifact = released
    before = _state(version, artifact)
    start = api_as("editor").post(f"{API}/{world.record.pk}/model-artifacts/uploads", {
        "file_name": "extra.bin", "total_size": 10, "artifact_kind": "weights", "version_id": str(version.pk),
    }, format="json")
    assert start.status_code == 409 and start.json()["error"]["message"] == MESSAGE
    reference = api_as("editor").post(f"{API}/{world.record.pk}/model-artifacts/references", {
        "file_name": "ext.bin", "uri": "https://example.com/x", "size_bytes": 1, "sha256": "a" * 64,
        "version_id": str(version.pk)}, format="json")
    assert reference.status_code == 409
    assert _state(version, artifact) == before


def test_direct_service_calls_are_refused(world, released):
    version, artifact = released
    before = _state(version, artifact)
    with pytest.raises(Conflict, match="released and immutable"):
        version_services.version_update(actor=world.editor, product=world.record, version=version,
                                        data={"release_notes": "x"})
    with pytest.raises(Conflict, match="released and immutable"):
        artifact_services.artifact_delete(actor=world.editor, product=world.record, artifact=artifact)
    with pytest.raises(Conflict, match="released and immutable"):
        services.check_version_accepts_file(version=version, file_name="new.bin", product=world.record)
    with pytest.raises(Conflict):
        version_services.version_release(actor=world.editor, product=world.record, version=version)
    assert _state(version, artifact) == before


def test_ui_edit_form_is_refused(world, client_as, released):
    version, artifact = released
    before = _state(version, artifact)
    client = client_as("editor")
    from django.urls import reverse
    url = reverse("modelrepo:version_edit", kwargs={"product_id": world.record.pk, "version_id": version.pk})
    response = client.post(url, {"label": "9.9.9", "kind": "release", "release_notes": "changed", "metrics": "{}"})
    assert response.status_code in (200, 409)
    assert "released and immutable" in response.content.decode()
    assert _state(version, artifact) == before


@pytest.fixture
def superuser_client(client, world):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    return client


def test_admin_cannot_change_or_delete_a_released_version_or_its_artifacts(superuser_client, released):
    version, artifact = released
    before = _state(version, artifact)
    change = superuser_client.post(f"/admin/modelrepo/modelversion/{version.pk}/change/",
                                   {"label": "x", "release_notes": "changed"})
    assert change.status_code in (200, 302, 403)  # every field is read-only: nothing is saved
    delete = superuser_client.post(f"/admin/modelrepo/modelversion/{version.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403
    delete_artifact = superuser_client.post(f"/admin/modelrepo/artifact/{artifact.pk}/delete/", {"post": "yes"})
    assert delete_artifact.status_code == 403
    bulk = superuser_client.post("/admin/modelrepo/modelversion/", {
        "action": "delete_selected", "_selected_action": [str(version.pk)], "post": "yes"})
    assert bulk.status_code in (200, 302, 403)
    assert _state(version, artifact) == before
    page = superuser_client.get(f"/admin/modelrepo/modelversion/{version.pk}/change/")
    assert page.status_code == 200 and "released and immutable" in page.content.decode()


def test_deprecate_and_yank_are_audited_and_a_yanked_version_cannot_be_made_current(world, api_as, released):
    version, _ = released
    base = f"{API}/{world.record.pk}/model-versions/{version.pk}"
    assert api_as("editor").post(f"{base}/yank", {}, format="json").status_code == 400
    deprecated = api_as("editor").post(f"{base}/deprecate", {"reason": "superseded by 1.5"}, format="json")
    assert deprecated.status_code == 200 and deprecated.json()["deprecated"] is True
    yanked = api_as("editor").post(f"{base}/yank", {"reason": "data leak"}, format="json")
    assert yanked.status_code == 200 and yanked.json()["yanked"] is True
    assert yanked.json()["yank_reason"] == "data leak"
    assert AuditEvent.objects.filter(action__in=["version.deprecated", "version.yanked"]).count() == 2
    current = api_as("editor").post(f"{base}/make-current", {}, format="json")
    assert current.status_code == 409 and current.json()["error"]["code"] == "version_yanked"
    # still downloadable for audit
    assert api_as("viewer").get(f"{base}/download-all").status_code == 200


def test_a_draft_cannot_be_deprecated_or_yanked(world, api_as, artifact_root):  # noqa: F811
    version = ModelVersion.objects.create(product=world.record, label="d")
    response = api_as("editor").post(f"{API}/{world.record.pk}/model-versions/{version.pk}/yank",
                                      {"reason": "x"}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "version_not_released"


def test_an_unsafe_artifact_cannot_be_released_or_made_current(world, api_as, artifact_root):  # noqa: F811
    version = ModelVersion.objects.create(product=world.record, label="3.0")
    artifact = store_artifact(world.record, world.editor, b"x", file_name="model.pkl", version=version)
    artifact_services.artifact_record_scan(artifact=artifact, safety="unsafe",
                                           details={"dangerous_imports": ["posix.system"]})
    release = api_as("editor").post(f"{API}/{world.record.pk}/model-versions/{version.pk}/release")
    assert release.status_code == 409 and release.json()["error"]["code"] == "artifact_unsafe"
    current = api_as("editor").post(f"{API}/{world.record.pk}/model-artifacts/{artifact.pk}/make-current", {},
                                    format="json")
    assert current.status_code == 409 and "posix.system" in current.json()["error"]["message"]
    artifact.refresh_from_db()
    version.refresh_from_db()
    assert not artifact.is_current and version.status == "draft"


def test_external_references_are_not_signed(world, api_as, artifact_root):  # noqa: F811
    version = ModelVersion.objects.create(product=world.record, label="4.0")
    store_artifact(world.record, world.editor, b"abc", file_name="a.bin", version=version)
    artifact_services.artifact_register_reference(
        actor=world.editor, product=world.record, file_name="b.bin", uri="https://example.com/b", size_bytes=3,
        sha256="b" * 64, version=version)
    version = version_services.version_release(actor=world.editor, product=world.record, version=version)
    from modelrepo import signing
    assert [r.name for r in signing.verify(version.signature).resources] == ["a.bin"]
    assert Artifact.objects.filter(version=version).count() == 2
