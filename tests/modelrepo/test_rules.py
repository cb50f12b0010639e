"""Each rule of modelrepo.rules, written once, holds the same way through the API, the pages
and a change request: the service refuses it with the rule's message, the page offers no
button that would lead to the refusal (or says why before the click), and a change request
cannot propose it."""

import pytest
from django.utils.html import escape

from modelrepo import proposals, rules
from modelrepo import versions as version_services
from modelrepo.models import Artifact, ModelDetails, ModelVersion
from tests.governance.test_governed_releases import signing_key  # noqa: F401
from tests.modelrepo.test_artifacts_api import artifact_root, store_artifact  # noqa: F401

pytestmark = pytest.mark.django_db
API = "/api/v1.0/catalog/products"


@pytest.fixture
def repo(world, artifact_root, signing_key):  # noqa: F811
    """A released version 1.0.0 and a draft 2.0.0 of world.record, one stored file each."""
    released = ModelVersion.objects.create(product=world.record, label="1.0.0")
    draft = ModelVersion.objects.create(product=world.record, label="2.0.0")
    shipped = store_artifact(world.record, world.editor, b"one" * 10, file_name="model.safetensors", version=released)
    candidate = store_artifact(world.record, world.editor, b"two" * 10, file_name="model.safetensors", version=draft)
    released = version_services.version_release(actor=world.editor, product=world.record, version=released)
    return {"released": released, "draft": draft, "shipped": shipped, "candidate": candidate}


def propose(api_as, world, changes):
    return api_as("editor").post(f"{API}/{world.record.pk}/change-requests", {
        "title": "Propose it", "justification": "The rules must hold here too.", "changes": changes}, format="json")


def page(client_as, world, tab):
    return client_as("editor").get(f"/models/{world.record.pk}/{tab}/").content.decode()


def current_version_id(world):
    return ModelDetails.objects.get(product=world.record).current_version_id


def test_a_yanked_version_cannot_be_made_current_anywhere(world, api_as, client_as, repo):
    yanked = version_services.version_yank(actor=world.editor, product=world.record, version=repo["released"],
                                           reason="Leaks test data.")
    refusal = rules.version_current_refusal(yanked)
    assert refusal.code == "version_yanked" and "Leaks test data." in refusal.message

    response = api_as("editor").post(f"{API}/{world.record.pk}/model-versions/{yanked.pk}/make-current", {},
                                     format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "version_yanked"
    assert response.json()["error"]["message"] == refusal.message
    assert current_version_id(world) is None

    make_current = f"/models/{world.record.pk}/versions/{yanked.pk}/make-current/"
    assert make_current not in page(client_as, world, "versions")
    assert f"/models/{world.record.pk}/versions/{repo['draft'].pk}/make-current/" in page(client_as, world, "versions")
    version_page = client_as("editor").get(f"/models/{world.record.pk}/versions/{yanked.pk}/").content.decode()
    assert make_current not in version_page
    client_as("editor").post(make_current, {"reason": "try anyway"})
    assert current_version_id(world) is None

    response = propose(api_as, world, {"current_version": str(yanked.pk)})
    assert response.status_code == 400
    assert response.json()["error"]["details"]["current_version"] == [refusal.message]
    assert str(yanked.pk) not in dict(proposals.form_choices(world.record)["current_version"])


def test_an_unsafe_artifact_cannot_be_made_current_anywhere(world, api_as, client_as, repo):
    Artifact.objects.filter(pk=repo["candidate"].pk).update(
        safety="unsafe", safety_details={"dangerous_imports": ["os.system"], "unknown_imports": [], "imports": []})
    unsafe = Artifact.objects.get(pk=repo["candidate"].pk)
    refusal = rules.artifact_current_refusal(unsafe)
    assert refusal.code == "artifact_unsafe" and "os.system" in refusal.message

    response = api_as("editor").post(f"{API}/{world.record.pk}/model-artifacts/{unsafe.pk}/make-current", {},
                                     format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "artifact_unsafe"
    assert response.json()["error"]["message"] == refusal.message
    assert not Artifact.objects.get(pk=unsafe.pk).is_current

    artifacts_tab = page(client_as, world, "artifacts")
    assert f"/models/{world.record.pk}/artifacts/{unsafe.pk}/make-current/" not in artifacts_tab
    assert f"/models/{world.record.pk}/artifacts/{repo['shipped'].pk}/make-current/" in artifacts_tab

    response = propose(api_as, world, {"current_artifact": str(unsafe.pk)})
    assert response.status_code == 400
    assert response.json()["error"]["details"]["current_artifact"] == [refusal.message]
    assert str(unsafe.pk) not in dict(proposals.form_choices(world.record)["current_artifact"])


def test_a_version_without_stored_files_cannot_be_released_anywhere(world, api_as, client_as, repo):
    empty = ModelVersion.objects.create(product=world.record, label="3.0.0")
    refusal = rules.version_release_refusal(empty, list(version_services.signed_artifacts(empty)))
    assert refusal.code == "version_empty"

    response = api_as("editor").post(f"{API}/{world.record.pk}/model-versions/{empty.pk}/release", {}, format="json")
    assert response.status_code == 409
    assert response.json()["error"] == {"code": "version_empty", "message": refusal.message, "details": {}}

    release_page = client_as("editor").get(f"/models/{world.record.pk}/versions/{empty.pk}/release/").content.decode()
    assert refusal.message in release_page
    assert "Release and sign" not in release_page
    ready_page = client_as("editor").get(f"/models/{world.record.pk}/versions/{repo['draft'].pk}/release/")
    assert "Release and sign" in ready_page.content.decode()

    response = propose(api_as, world, {"release_version": str(empty.pk)})
    assert response.status_code == 400
    assert response.json()["error"]["details"]["release_version"] == [refusal.message]


def test_a_version_with_an_unsafe_file_cannot_be_released_anywhere(world, api_as, client_as, repo):
    Artifact.objects.filter(pk=repo["candidate"].pk).update(safety="unsafe")
    draft = repo["draft"]
    refusal = rules.version_release_refusal(draft, list(version_services.signed_artifacts(draft)))
    assert refusal.code == "artifact_unsafe" and refusal.details == {"files": ["model.safetensors"]}

    response = api_as("editor").post(f"{API}/{world.record.pk}/model-versions/{draft.pk}/release", {}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["message"] == refusal.message
    assert not ModelVersion.objects.get(pk=draft.pk).is_released

    release_page = client_as("editor").get(f"/models/{world.record.pk}/versions/{draft.pk}/release/").content.decode()
    assert refusal.message in release_page and "Release and sign" not in release_page

    response = propose(api_as, world, {"release_version": str(draft.pk)})
    assert response.status_code == 400
    assert response.json()["error"]["details"]["release_version"] == [refusal.message]


def test_a_released_version_is_released_once_and_keeps_its_files(world, api_as, client_as, repo):
    released = repo["released"]
    refusal = rules.version_release_refusal(released, [])
    assert refusal.code == "version_released"

    response = api_as("editor").post(f"{API}/{world.record.pk}/model-versions/{released.pk}/release", {}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "version_released"

    response = propose(api_as, world, {"release_version": str(released.pk)})
    assert response.status_code == 400
    assert response.json()["error"]["details"]["release_version"] == [refusal.message]
    assert str(released.pk) not in dict(proposals.form_choices(world.record)["release_version"])

    shipped = Artifact.objects.select_related("version").get(pk=repo["shipped"].pk)
    delete_refusal = rules.artifact_delete_refusal(shipped)
    response = api_as("editor").delete(f"{API}/{world.record.pk}/model-artifacts/{shipped.pk}")
    assert response.status_code == 409
    assert response.json()["error"]["message"] == delete_refusal.message
    assert Artifact.objects.active().filter(pk=shipped.pk).exists()
    artifacts_tab = page(client_as, world, "artifacts")
    assert f"/models/{world.record.pk}/artifacts/{shipped.pk}/delete/" not in artifacts_tab
    assert f"/models/{world.record.pk}/artifacts/{repo['candidate'].pk}/delete/" in artifacts_tab


@pytest.mark.parametrize("raw,stored", [("A" * 64, "a" * 64), (" " + "b" * 64 + " ", "b" * 64),
                                        ("g" * 64, None), ("a" * 63, None), ("a" * 65, None)])
def test_one_sha256_rule_for_the_api_and_the_page(world, api_as, client_as, raw, stored):
    assert rules.normalise_sha256(raw) == stored
    response = api_as("editor").post(f"{API}/{world.record.pk}/model-artifacts/references", {
        "file_name": "model.gguf", "uri": "https://models.example.com/model.gguf", "size_bytes": 10, "sha256": raw,
    }, format="json")
    form = client_as("editor").post(f"/models/{world.record.pk}/artifacts/register/", {
        "uri": "https://models.example.com/model.gguf", "file_name": "model.gguf", "size_bytes": "10",
        "sha256": raw, "kind": "weights", "version": "",
    })
    if stored is None:
        assert response.status_code == 400
        assert response.json()["error"]["details"]["sha256"] == [rules.SHA256_MESSAGE]
        assert form.status_code == 200 and rules.SHA256_MESSAGE in form.content.decode()
        assert not Artifact.objects.filter(product=world.record).exists()
    else:
        assert response.status_code == 201, response.content
        assert response.json()["sha256"] == stored
        assert form.status_code == 302
        assert set(Artifact.objects.filter(product=world.record).values_list("sha256", flat=True)) == {stored}


@pytest.mark.parametrize("name", ["../model.bin", "dir/model.bin", "dir\\model.bin", "model\x01.bin", "..",
                                  "model\u2028.bin", "evil\u202egpj.bin", "mo\u200bdel.bin", "\ufeffmodel.bin"])
def test_one_file_name_rule_for_the_api_and_the_page(world, api_as, client_as, name):
    problem = rules.file_name_problem(name)
    assert problem
    response = api_as("editor").post(f"{API}/{world.record.pk}/model-artifacts/references", {
        "file_name": name, "uri": "https://models.example.com/model.gguf", "size_bytes": 10, "sha256": "a" * 64,
    }, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["details"]["file_name"] == [problem]
    form = client_as("editor").post(f"/models/{world.record.pk}/artifacts/register/", {
        "uri": "https://models.example.com/model.gguf", "file_name": name, "size_bytes": "10",
        "sha256": "a" * 64, "kind": "weights", "version": "",
    })
    assert form.status_code == 200 and escape(problem) in form.content.decode()
    assert not Artifact.objects.filter(product=world.record).exists()


@pytest.mark.parametrize("name", ["../model.bin", "dir\\model.bin", "model\x01.bin", "model\u2028.bin"])
def test_the_upload_protocol_applies_the_same_file_name_rule(world, api_as, name):
    response = api_as("editor").post(f"{API}/{world.record.pk}/model-artifacts/uploads", {
        "file_name": name, "total_size": 10, "artifact_kind": "weights"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["details"]["file_name"] == [rules.file_name_problem(name)]


@pytest.mark.parametrize("raw,accepted", [("A" * 64, True), ("g" * 64, False), ("a" * 63, False)])
def test_the_upload_protocol_applies_the_same_sha256_rule(world, api_as, raw, accepted):
    response = api_as("editor").post(f"{API}/{world.record.pk}/model-artifacts/uploads", {
        "file_name": "model.bin", "total_size": 10, "artifact_kind": "weights", "expected_sha256": raw},
        format="json")
    if accepted:
        assert response.status_code == 201, response.content
    else:
        assert response.status_code == 400
        assert response.json()["error"]["details"]["expected_sha256"] == [rules.SHA256_MESSAGE]

