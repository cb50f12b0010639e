"""Model versions and the current-version pointer through the API: create, update, the
immutability of released versions, make-current, the history, one-step rollback, who may do
what, and concurrent pointer moves."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from catalog import services as catalog_services
from catalog.models import AuditEvent
from common.errors import PermissionDenied
from modelrepo import versions as version_services
from modelrepo.models import CurrentVersionChange, ModelDetails, ModelVersion, TrainingRun
from tests.conftest import make_user
from tests.governance.test_governed_releases import signing_key  # noqa: F401
from tests.modelrepo.test_artifacts_api import _in_parallel, artifact_root, store_artifact, token_client  # noqa: F401

API = "/api/v1.0/catalog/products"


def versions_url(product, suffix=""):
    return f"{API}/{product.pk}/model-versions{suffix}"


def current_label(product):
    details = ModelDetails.objects.select_related("current_version").get(product=product)
    return details.current_version.label if details.current_version else None


def make_version(product, label, **fields):
    return ModelVersion.objects.create(product=product, label=label, **fields)


# --- Create and update -------------------------------------------------------------------

def test_it_creates_a_draft_version_and_audits_it(world, api_as):
    run = TrainingRun.objects.create(product=world.record, name="run-7")
    body = {"label": "1.4.0", "kind": "minor", "release_notes": "# Better recall", "release_date": "2026-01-15",
            "git_tag": "v1.4.0", "commit_sha": "ABCDEF1234", "metrics": {"f1": 0.91}, "training_run_id": str(run.pk)}
    response = api_as("editor").post(versions_url(world.record), body, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["label"] == "1.4.0"
    assert data["status"] == "draft"
    assert data["kind"] == "minor"
    assert data["commit_sha"] == "abcdef1234"
    assert data["metrics"] == {"f1": 0.91}
    assert data["training_run_id"] == str(run.pk)
    assert data["is_current"] is False
    assert data["created_by"] == "editor"
    assert response["Location"].endswith(f"/model-versions/{data['id']}")
    event = AuditEvent.objects.filter(action="version.created").get()
    assert event.target_id == str(world.record.pk)
    assert event.changes["version"] == {"old": None, "new": "1.4.0"}


def test_it_lists_versions_in_creation_order(world, api_as):
    for label in ("2.0.0", "1.0.0", "10.0.0"):
        make_version(world.record, label)
    make_version(world.other_record, "secret")
    body = api_as("viewer").get(versions_url(world.record) + "?size=2").json()
    assert body["count"] == 3
    assert [v["label"] for v in body["results"]] == ["2.0.0", "1.0.0"]
    assert body["next"]


def test_a_duplicate_label_is_refused_with_the_field_named(world, api_as):
    make_version(world.record, "1.0.0")
    response = api_as("editor").post(versions_url(world.record), {"label": "1.0.0"}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "label" in error["details"]
    assert ModelVersion.objects.filter(product=world.record).count() == 1


def test_the_same_label_is_fine_on_another_record(world, api_as):
    make_version(world.other_record, "1.0.0")
    assert api_as("editor").post(versions_url(world.record), {"label": "1.0.0"}, format="json").status_code == 201


@pytest.mark.parametrize("body,field", [
    ({"label": "1.0.1", "commit_sha": "not-a-sha"}, "commit_sha"),
    ({"label": "1.0.1", "metrics": [1, 2]}, "metrics"),
    ({"label": "1.0.1", "metrics": "fast"}, "metrics"),
    ({"label": ""}, "label"),
    ({}, "label"),
    ({"label": "1.0.1", "kind": "huge"}, "kind"),
    ({"label": "1.0.1", "release_date": "yesterday"}, "release_date"),
    ({"label": "1.0.1", "status": "released"}, "status"),
    ({"label": "1.0.1", "training_run_id": "nope"}, "training_run_id"),
])
def test_it_refuses_invalid_version_fields(world, api_as, body, field):
    response = api_as("editor").post(versions_url(world.record), body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["details"]
    assert not ModelVersion.objects.exists()


def test_a_training_run_of_another_record_is_refused(world, api_as):
    theirs = TrainingRun.objects.create(product=world.other_record, name="theirs")
    response = api_as("editor").post(versions_url(world.record), {"label": "1.0.0", "training_run_id": str(theirs.pk)},
                                     format="json")
    assert response.status_code == 400
    assert "training_run_id" in response.json()["error"]["details"]


def test_a_draft_version_can_be_updated_and_its_artifacts_follow_the_label(world, api_as):
    version = make_version(world.record, "1.0.0-rc1")
    response = api_as("editor").patch(versions_url(world.record, f"/{version.pk}"),
                                      {"label": "1.0.0", "metrics": {"auc": 0.8}}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["label"] == "1.0.0"
    event = AuditEvent.objects.filter(action="version.updated").get()
    assert event.changes["label"] == {"old": "1.0.0-rc1", "new": "1.0.0"}
    assert event.changes["metrics"] == {"old": {}, "new": {"auc": 0.8}}


def test_renaming_to_a_taken_label_is_refused(world, api_as):
    make_version(world.record, "1.0.0")
    other = make_version(world.record, "1.1.0")
    response = api_as("editor").patch(versions_url(world.record, f"/{other.pk}"), {"label": "1.0.0"}, format="json")
    assert response.status_code == 400
    assert "label" in response.json()["error"]["details"]


def test_a_released_version_is_immutable(world, api_as):
    version = make_version(world.record, "1.4.0", release_notes="Stable")
    ModelVersion.objects.filter(pk=version.pk).update(status="released", released_at=timezone.now())
    client = api_as("editor")
    response = client.patch(versions_url(world.record, f"/{version.pk}"), {"release_notes": "Rewritten"}, format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "version_released"
    assert error["message"] == "Version 1.4.0 is released and immutable; create a new version."
    version.refresh_from_db()
    assert version.release_notes == "Stable"
    # Sending what it already holds changes nothing and is not refused.
    assert client.patch(versions_url(world.record, f"/{version.pk}"), {"release_notes": "Stable"},
                        format="json").status_code == 200
    assert not AuditEvent.objects.filter(action="version.updated").exists()


def test_a_version_of_another_record_is_not_found_under_this_record(world, api_as):
    theirs = make_version(world.other_record, "1.0.0")
    client = api_as("space_admin")
    assert client.get(versions_url(world.record, f"/{theirs.pk}")).status_code == 404
    assert client.patch(versions_url(world.record, f"/{theirs.pk}"), {"label": "x"}, format="json").status_code == 404
    assert client.post(versions_url(world.record, f"/{theirs.pk}/make-current"), {}, format="json").status_code == 404
    assert client.get(versions_url(world.record, "/not-a-uuid")).status_code == 404


# --- The current pointer -----------------------------------------------------------------

def test_make_current_history_and_rollback_one_step(world, api_as):
    v1, v2, v3 = (make_version(world.record, label) for label in ("1.0.0", "1.1.0", "2.0.0"))
    client = api_as("editor")
    for version, reason in ((v1, "first"), (v2, "better"), (v3, "best")):
        response = client.post(versions_url(world.record, f"/{version.pk}/make-current"), {"reason": reason},
                               format="json")
        assert response.status_code == 200, response.content
        assert response.json()["is_current"] is True
    assert current_label(world.record) == "2.0.0"

    history = client.get(versions_url(world.record, "/history")).json()
    assert history["count"] == 3
    newest = history["results"][0]
    assert (newest["from_label"], newest["to_label"], newest["reason"], newest["changed_by"]) == (
        "1.1.0", "2.0.0", "best", "editor")
    assert newest["is_rollback"] is False

    response = client.post(versions_url(world.record, "/rollback"), {"reason": "regression"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["label"] == "1.1.0"
    assert current_label(world.record) == "1.1.0"
    rollback = client.get(versions_url(world.record, "/history")).json()["results"][0]
    assert (rollback["from_label"], rollback["to_label"], rollback["is_rollback"]) == ("2.0.0", "1.1.0", True)
    assert AuditEvent.objects.filter(action="version.rolled_back").count() == 1
    assert AuditEvent.objects.filter(action="version.made_current").count() == 3

    listing = client.get(versions_url(world.record)).json()["results"]
    assert [v["label"] for v in listing if v["is_current"]] == ["1.1.0"]


def test_making_the_current_version_current_again_changes_nothing(world, api_as):
    version = make_version(world.record, "1.0.0")
    client = api_as("editor")
    url = versions_url(world.record, f"/{version.pk}/make-current")
    assert client.post(url, {}, format="json").status_code == 200
    assert client.post(url, {}, format="json").status_code == 200
    assert CurrentVersionChange.objects.filter(product=world.record).count() == 1
    assert AuditEvent.objects.filter(action="version.made_current").count() == 1


def test_rollback_without_a_previous_version_is_a_conflict(world, api_as):
    client = api_as("editor")
    response = client.post(versions_url(world.record, "/rollback"), {}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "no_previous_version"
    only = make_version(world.record, "1.0.0")
    client.post(versions_url(world.record, f"/{only.pk}/make-current"), {}, format="json")
    response = client.post(versions_url(world.record, "/rollback"), {}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "no_previous_version"
    assert current_label(world.record) == "1.0.0"


def test_a_yanked_version_cannot_be_made_current_nor_rolled_back_to(world, api_as):
    v1 = make_version(world.record, "1.0.0")
    v2 = make_version(world.record, "1.1.0")
    client = api_as("editor")
    client.post(versions_url(world.record, f"/{v1.pk}/make-current"), {}, format="json")
    client.post(versions_url(world.record, f"/{v2.pk}/make-current"), {}, format="json")
    ModelVersion.objects.filter(pk=v1.pk).update(yanked=True, yank_reason="data leak")
    response = client.post(versions_url(world.record, f"/{v1.pk}/make-current"), {}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "version_yanked"
    assert "data leak" in response.json()["error"]["message"]
    response = client.post(versions_url(world.record, "/rollback"), {}, format="json")
    assert response.status_code == 409
    assert current_label(world.record) == "1.1.0"


def test_the_services_refuse_a_viewer(world):
    version = make_version(world.record, "1.0.0")
    with pytest.raises(PermissionDenied):
        version_services.version_create(actor=world.viewer, product=world.record, data={"label": "2.0.0"})
    with pytest.raises(PermissionDenied):
        version_services.version_make_current(actor=world.viewer, product=world.record, version=version)
    with pytest.raises(PermissionDenied):
        version_services.version_rollback(actor=world.viewer, product=world.record)
    with pytest.raises(PermissionDenied):
        version_services.version_update(actor=world.viewer, product=world.record, version=version, data={"label": "x"})


# --- Who may do what ---------------------------------------------------------------------

READ = {"viewer", "member", "editor", "space_admin", "org_admin"}
WRITE = {"editor", "space_admin", "org_admin"}
ENDPOINTS = [
    ("list", "get", "", None, 200, False),
    ("create", "post", "", {"label": "3.0.0"}, 201, True),
    ("detail", "get", "/{v2}", None, 200, False),
    ("update", "patch", "/{v2}", {"release_notes": "Notes"}, 200, True),
    ("make_current", "post", "/{v1}/make-current", {"reason": "back"}, 200, True),
    ("rollback", "post", "/rollback", {}, 200, True),
    ("history", "get", "/history", None, 200, False),
]


@pytest.mark.parametrize("username", ["anonymous", "outsider", "org_member", "viewer", "member", "editor",
                                      "space_admin", "org_admin"])
@pytest.mark.parametrize("name,method,suffix,body,ok,write", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
def test_version_endpoints_answer_each_role_as_the_policy_says(world, api_as, username, name, method, suffix, body,
                                                               ok, write):
    v1 = make_version(world.record, "1.0.0")
    v2 = make_version(world.record, "2.0.0")
    version_services.version_make_current(actor=world.editor, product=world.record, version=v1)
    version_services.version_make_current(actor=world.editor, product=world.record, version=v2)
    client = APIClient() if username == "anonymous" else api_as(username)
    url = versions_url(world.record, suffix.format(v1=v1.pk, v2=v2.pk))
    response = getattr(client, method)(url, body, format="json") if body is not None else getattr(client, method)(url)
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
    if expected == 403:
        assert current_label(world.record) == "2.0.0"
        assert not ModelVersion.objects.filter(label="3.0.0").exists()


# --- Concurrency -------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_concurrent_make_current_calls_serialise_and_keep_the_history_a_chain(world):
    versions = [make_version(world.record, f"1.{i}.0") for i in range(4)]
    clients = [token_client(world.editor) for _ in versions]
    calls = [
        (lambda c=c, v=v: c.post(versions_url(world.record, f"/{v.pk}/make-current"), {}, format="json"))
        for c, v in zip(clients, versions)
    ]
    responses = _in_parallel(calls)
    for response in responses:
        assert not isinstance(response, Exception), response
        assert response.status_code == 200, response.content
    changes = list(CurrentVersionChange.objects.filter(product=world.record).order_by("created_at", "id"))
    assert len(changes) == 4
    # Each move starts where the previous one ended: nobody read a stale pointer.
    assert changes[0].from_version_id is None
    for before, after in zip(changes, changes[1:]):
        assert after.from_version_id == before.to_version_id
    assert ModelDetails.objects.get(product=world.record).current_version_id == changes[-1].to_version_id

    rollbacks = _in_parallel([
        (lambda c=c: c.post(versions_url(world.record, "/rollback"), {}, format="json")) for c in clients[:2]
    ])
    assert sorted(r.status_code for r in rollbacks) == [200, 200]
    assert CurrentVersionChange.objects.filter(product=world.record, is_rollback=True).count() == 2


def test_who_released_a_version_is_still_named_after_the_user_is_deleted(  # noqa: F811
        world, api_as, client_as, artifact_root, signing_key):
    releaser = make_user("releaser")
    catalog_services.space_membership_set(actor=None, space=world.lab, user=releaser, role="editor")
    version = ModelVersion.objects.create(product=world.record, label="5.0.0")
    store_artifact(world.record, world.editor, b"five" * 10, file_name="model.safetensors", version=version)
    version_services.version_release(actor=releaser, product=world.record, version=version)
    releaser.delete()

    body = api_as("viewer").get(versions_url(world.record, f"/{version.pk}")).json()
    assert body["released_by"] == "releaser"
    provenance = api_as("viewer").get(versions_url(world.record, f"/{version.pk}/provenance")).json()
    assert provenance["release"]["released_by"] == "releaser"
    assert "by releaser" in client_as("viewer").get(f"/models/{world.record.pk}/versions/").content.decode()
