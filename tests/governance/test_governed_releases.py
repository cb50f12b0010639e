"""The space change policy on releases and current pointers of high-risk records: direct
actions are refused before any work starts with a pre-filled change request URL (service, API,
pages); change requests propose ``current_version``, ``current_artifact`` and
``release_version`` and applying them goes through the same services; stale detection; the
``high_risk_forbid_pickle`` rule."""

import io
import pickle
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from catalog.models import AuditEvent, default_change_policy
from common.errors import Conflict, ValidationFailed
from governance import change_requests as cr
from modelrepo import artifacts as artifact_services
from modelrepo import policy
from modelrepo import versions as version_services
from modelrepo.models import Artifact, CurrentVersionChange, ModelDetails, ModelVersion
from modelrepo.policy import ChangeRequestRequired, PickleForbidden
from tests.conftest import make_record
from tests.governance.test_change_requests import roles  # noqa: F401
from tests.modelrepo.test_artifacts_api import artifact_root, store_artifact  # noqa: F401
from uploads import services as upload_services
from uploads.models import UploadSession

pytestmark = pytest.mark.django_db
API = "/api/v1.0/catalog/products"


@pytest.fixture(autouse=True)
def signing_key(settings, tmp_path, artifact_root):  # noqa: F811
    settings.QARION_SIGNING_KEY = None
    settings.QARION_SIGNING_KEY_PATH = tmp_path / "signing-key.pem"
    settings.QARION_SIGNING_TRUSTED_KEYS_FILE = tmp_path / "trusted.pem"
    settings.CELERY_TASK_ALWAYS_EAGER = True


def classify(product, risk="high"):
    """Set the risk class directly (the policy governs changing it through the services)."""
    ModelDetails.objects.filter(product=product).update(risk_classification=risk)


def set_policy(space, **rules):
    space.change_policy = rules
    space.save()


@pytest.fixture
def repo(world):
    """world.record with two draft versions holding one stored file each, and a loose artifact."""
    v1 = ModelVersion.objects.create(product=world.record, label="1.0.0")
    v2 = ModelVersion.objects.create(product=world.record, label="2.0.0")
    a1 = store_artifact(world.record, world.editor, b"one" * 10, file_name="model.safetensors", version=v1)
    a2 = store_artifact(world.record, world.editor, b"two" * 10, file_name="model.safetensors", version=v2)
    loose = store_artifact(world.record, world.editor, b"loose" * 10, file_name="loose.safetensors")
    return {"v1": v1, "v2": v2, "a1": a1, "a2": a2, "loose": loose}


def current_version(product):
    return ModelDetails.objects.get(product=product).current_version


def current_artifact(product):
    return Artifact.objects.active().filter(product=product, is_current=True).first()


def prefill(url):
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def approved(world, roles, changes, actor=None):
    request = cr.change_request_create(actor=actor or world.editor, product=world.record, title="Governed action",
                                       justification="Validated by the model risk team.", changes=changes)
    for reviewer in roles:
        request = cr.change_request_review(actor=reviewer, change_request=request, decision="approve")
    assert request.status == "approved"
    return request


# --- the rules -----------------------------------------------------------------------------------------

def test_the_pickle_rule_is_listed_and_off_by_default(world):
    assert policy.RULE_LABELS["high_risk_forbid_pickle"] == "Forbid pickle-based formats for high-risk records"
    assert "high_risk_forbid_pickle" not in default_change_policy()
    assert policy.rules(world.lab)["high_risk_forbid_pickle"] is False


# --- refusals through the services ----------------------------------------------------------------------

def test_a_governed_make_current_is_refused_with_a_prefilled_change_request(world, repo):
    classify(world.record)
    before = AuditEvent.objects.count()
    with pytest.raises(ChangeRequestRequired) as exc:
        version_services.version_make_current(actor=world.editor, product=world.record, version=repo["v1"])
    assert exc.value.status == 409 and exc.value.code == "change_request_required"
    url = exc.value.details["change_request_url"]
    assert url in exc.value.message
    assert url.startswith(reverse("governance:change_request_create", kwargs={"product_id": world.record.pk}))
    assert prefill(url)["current_version"] == str(repo["v1"].pk)
    assert current_version(world.record) is None and not CurrentVersionChange.objects.exists()
    assert AuditEvent.objects.count() == before


def test_a_governed_artifact_make_current_is_refused(world, repo):
    classify(world.record)
    with pytest.raises(ChangeRequestRequired) as exc:
        artifact_services.artifact_make_current(actor=world.editor, product=world.record, artifact=repo["loose"])
    assert prefill(exc.value.details["change_request_url"])["current_artifact"] == str(repo["loose"].pk)
    assert current_artifact(world.record) is None


def test_a_governed_rollback_is_refused_and_offers_the_previous_version(world, repo):
    for version in (repo["v1"], repo["v2"]):
        version_services.version_make_current(actor=world.editor, product=world.record, version=version)
    classify(world.record)
    with pytest.raises(ChangeRequestRequired) as exc:
        version_services.version_rollback(actor=world.editor, product=world.record)
    assert prefill(exc.value.details["change_request_url"])["current_version"] == str(repo["v1"].pk)
    assert current_version(world.record) == repo["v2"]


def test_a_governed_release_is_refused(world, repo):
    classify(world.record)
    with pytest.raises(ChangeRequestRequired) as exc:
        version_services.version_release(actor=world.editor, product=world.record, version=repo["v1"])
    assert prefill(exc.value.details["change_request_url"])["release_version"] == str(repo["v1"].pk)
    repo["v1"].refresh_from_db()
    assert repo["v1"].status == "draft" and not repo["v1"].signature


def test_a_reference_asking_for_make_current_is_refused_before_it_is_recorded(world):
    classify(world.record)
    data = {"actor": world.editor, "product": world.record, "file_name": "ext.bin", "uri": "https://example.com/ext.bin",
            "size_bytes": 3, "sha256": "a" * 64}
    with pytest.raises(ChangeRequestRequired) as exc:
        artifact_services.artifact_register_reference(make_current=True, **data)
    assert "make_current" in exc.value.details and "current_artifact" in prefill(exc.value.details["change_request_url"])
    assert not Artifact.objects.filter(file_name="ext.bin").exists()
    assert not artifact_services.artifact_register_reference(**data).is_current


def test_an_upload_asking_for_make_current_is_refused_at_session_start(world):
    classify(world.record)
    with pytest.raises(ChangeRequestRequired) as exc:
        upload_services.session_start(actor=world.editor, product=world.record, file_name="m.bin", total_size=4,
                                      artifact_kind="weights", make_current=True)
    assert "make_current" in exc.value.details
    assert not UploadSession.objects.exists()
    upload_services.session_start(actor=world.editor, product=world.record, file_name="m.bin", total_size=4,
                                  artifact_kind="weights")


def test_recording_an_upload_as_current_consults_the_policy(world):
    classify(world.record)
    with pytest.raises(ChangeRequestRequired):
        store_artifact(world.record, world.editor, b"abc", make_current=True)
    assert not Artifact.objects.filter(product=world.record).exists()


@pytest.mark.parametrize("setup", ["not_high", "rule_off", "empty_policy"])
def test_ungoverned_records_act_as_before(world, repo, setup):
    if setup == "not_high":
        classify(world.record, "limited")
    elif setup == "rule_off":
        classify(world.record)
        set_policy(world.lab, risk_classification=True, deployment_status_production=True)
    else:
        classify(world.record)
        set_policy(world.lab)
    version_services.version_make_current(actor=world.editor, product=world.record, version=repo["v1"])
    version_services.version_make_current(actor=world.editor, product=world.record, version=repo["v2"])
    version_services.version_rollback(actor=world.editor, product=world.record)
    version_services.version_release(actor=world.editor, product=world.record, version=repo["v1"])
    artifact_services.artifact_make_current(actor=world.editor, product=world.record, artifact=repo["loose"])
    upload_services.session_start(actor=world.editor, product=world.record, file_name="m.bin", total_size=4,
                                  artifact_kind="weights", make_current=True)
    assert current_version(world.record) == repo["v1"] and current_artifact(world.record) == repo["loose"]
    repo["v1"].refresh_from_db()
    assert repo["v1"].status == "released"


# --- refusals through the API and the pages ---------------------------------------------------------------

def _assert_refused(response, field):
    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert error["code"] == "change_request_required"
    assert field in prefill(error["details"]["change_request_url"])
    assert error["details"]["change_request_url"] in error["message"]


def test_the_api_refuses_governed_actions_with_the_url(world, repo, api_as):
    classify(world.record)
    client, base = api_as("editor"), f"{API}/{world.record.pk}"
    _assert_refused(client.post(f"{base}/model-versions/{repo['v1'].pk}/make-current", {}, format="json"),
                    "current_version")
    _assert_refused(client.post(f"{base}/model-versions/{repo['v1'].pk}/release"), "release_version")
    _assert_refused(client.post(f"{base}/model-artifacts/{repo['loose'].pk}/make-current", {}, format="json"),
                    "current_artifact")
    _assert_refused(client.post(f"{base}/model-artifacts/references", {
        "file_name": "ext.bin", "uri": "https://example.com/ext.bin", "size_bytes": 3, "sha256": "a" * 64,
        "make_current": True}, format="json"), "current_artifact")
    _assert_refused(client.post(f"{base}/model-artifacts/uploads", {
        "file_name": "m.bin", "total_size": 4, "artifact_kind": "weights", "make_current": True}, format="json"),
        "current_artifact")
    assert current_version(world.record) is None and current_artifact(world.record) is None
    assert not UploadSession.objects.exists()


def test_the_pages_show_the_refusal_without_changing_anything(world, repo, client_as):
    classify(world.record)
    client = client_as("editor")
    make_current = reverse("modelrepo:version_make_current", kwargs={"product_id": world.record.pk,
                                                                      "version_id": repo["v1"].pk})
    response = client.post(make_current, {"reason": "Ship it"}, follow=True)
    assert response.status_code == 200
    assert "approved change request" in response.content.decode()
    # The offer is a link to the pre-filled form, not an address in the text.
    create = reverse("governance:change_request_create", kwargs={"product_id": world.record.pk})
    assert f'href="{create}?current_version={repo["v1"].pk}' in response.content.decode()
    assert f"instead: {create}" not in response.content.decode()
    response = client.post(reverse("modelrepo:artifact_make_current", kwargs={
        "product_id": world.record.pk, "artifact_id": repo["loose"].pk}), {"reason": ""}, follow=True)
    assert response.status_code == 200 and "approved change request" in response.content.decode()
    response = client.post(reverse("modelrepo:version_release", kwargs={"product_id": world.record.pk,
                                                                        "version_id": repo["v1"].pk}))
    assert response.status_code == 409 and "approved change request" in response.content.decode()
    response = client.post(reverse("modelrepo:artifact_register", kwargs={"product_id": world.record.pk}), {
        "uri": "https://example.com/ext.bin", "file_name": "ext.bin", "size_bytes": 3, "sha256": "a" * 64,
        "kind": "weights", "make_current": "on"})
    assert response.status_code < 500 and "approved change request" in response.content.decode()
    assert current_version(world.record) is None and current_artifact(world.record) is None
    assert not Artifact.objects.filter(file_name="ext.bin").exists()


# --- an upload started before the policy changed ----------------------------------------------------------

def _upload(world, data, file_name="m.bin", make_current=True):
    session = upload_services.session_start(actor=world.editor, product=world.record, file_name=file_name,
                                            total_size=len(data), artifact_kind="weights", make_current=make_current)
    upload_services.chunk_receive(session=session, index_raw="0", content_length=str(len(data)),
                                  content_digest=None, read=io.BytesIO(data).read)
    return session


def _complete(world, session):
    upload_services.session_complete(actor=world.editor, session=session)
    upload_services.session_assemble(session.pk)
    session.refresh_from_db()
    return session


def test_an_upload_governed_after_it_started_is_attached_without_moving_the_pointer(world, api_as):
    session = _upload(world, b"weights")
    classify(world.record)
    session = _complete(world, session)
    assert session.status == "completed" and session.artifact is not None
    assert not session.artifact.is_current and current_artifact(world.record) is None
    assert session.error["code"] == "make_current_skipped"
    assert session.error["details"]["reason"] == "change_request_required"
    url = session.error["details"]["change_request_url"]
    assert prefill(url)["current_artifact"] == str(session.artifact.pk) and url in session.error["message"]
    body = api_as("editor").get(f"{API}/{world.record.pk}/model-artifacts/uploads/{session.pk}").json()
    assert body["status"] == "completed" and body["error"]["code"] == "make_current_skipped"


def test_an_ungoverned_upload_with_make_current_moves_the_pointer(world):
    session = _complete(world, _upload(world, b"weights"))
    assert session.artifact.is_current and session.error is None


# --- change requests proposing the governed actions --------------------------------------------------------

def test_a_change_request_makes_a_version_current_with_history_and_audit(world, repo, roles):
    classify(world.record)
    request = approved(world, roles, {"current_version": str(repo["v1"].pk)}, actor=world.member)
    assert request.changes == [{"field": "current_version", "old_value": None, "new_value": str(repo["v1"].pk)}]
    before = AuditEvent.objects.count()
    request = cr.change_request_apply(actor=world.member, change_request=request)  # the requester, no edit access
    assert request.status == "applied"
    assert current_version(world.record) == repo["v1"]
    history = CurrentVersionChange.objects.get(product=world.record)
    assert history.to_version == repo["v1"] and history.changed_by == world.member and "Governed action" in history.reason
    event = AuditEvent.objects.get(action="version.made_current")
    assert event.changes["change_request"]["new"] == str(request.pk)
    assert event.changes["current_version"] == {"old": None, "new": "1.0.0"}
    assert AuditEvent.objects.count() == before + 2  # the move and the request's transition
    assert not AuditEvent.objects.filter(action="model_record.updated", sequence__gt=event.sequence).exists()


def test_a_change_request_makes_an_artifact_current(world, repo, roles):
    classify(world.record)
    request = approved(world, roles, {"current_artifact": str(repo["a2"].pk)})
    cr.change_request_apply(actor=world.space_admin, change_request=request)
    assert current_artifact(world.record) == repo["a2"]
    event = AuditEvent.objects.get(action="artifact.made_current")
    assert event.changes["change_request"]["new"] == str(request.pk)


def test_a_change_request_releases_and_signs_a_version_then_makes_it_current(world, repo, roles):
    classify(world.record)
    request = approved(world, roles, {"release_version": str(repo["v2"].pk), "current_version": str(repo["v2"].pk),
                                          "description": "Second release."})
    change = next(c for c in request.changes if c["field"] == "release_version")
    assert change["old_value"] is None
    cr.change_request_apply(actor=world.editor, change_request=request)
    repo["v2"].refresh_from_db()
    assert repo["v2"].status == "released" and repo["v2"].signature and repo["v2"].released_by == world.editor
    assert current_version(world.record) == repo["v2"]
    released = AuditEvent.objects.get(action="version.released")
    assert released.changes["change_request"]["new"] == str(request.pk)
    assert "model.safetensors" in released.changes["signed_files"]["new"]
    world.record.refresh_from_db()
    assert world.record.description == "Second release."


def test_a_moved_pointer_makes_the_request_stale(world, repo, roles):
    classify(world.record)
    request = approved(world, roles, {"current_version": str(repo["v1"].pk)})
    other = approved(world, roles, {"current_version": str(repo["v2"].pk)})
    cr.change_request_apply(actor=world.editor, change_request=other)
    with pytest.raises(Conflict) as exc:
        cr.change_request_apply(actor=world.editor, change_request=request)
    assert exc.value.code == "stale" and exc.value.details["fields"] == ["current_version"]
    request.refresh_from_db()
    assert request.status == "stale" and current_version(world.record) == repo["v2"]


def test_a_version_released_meanwhile_makes_the_release_request_stale(world, repo, roles):
    classify(world.record)
    request = approved(world, roles, {"release_version": str(repo["v1"].pk)})
    classify(world.record, "limited")
    version_services.version_release(actor=world.editor, product=world.record, version=repo["v1"])
    signature = ModelVersion.objects.get(pk=repo["v1"].pk).signature
    with pytest.raises(Conflict) as exc:
        cr.change_request_apply(actor=world.editor, change_request=request)
    assert exc.value.code == "stale"
    assert ModelVersion.objects.get(pk=repo["v1"].pk).signature == signature


def test_files_added_after_approval_make_the_release_request_stale(world, repo, roles):
    classify(world.record)
    request = approved(world, roles, {"release_version": str(repo["v1"].pk)})
    store_artifact(world.record, world.editor, b"extra", file_name="extra.safetensors", version=repo["v1"])
    with pytest.raises(Conflict) as exc:
        cr.change_request_apply(actor=world.editor, change_request=request)
    assert exc.value.code == "stale"
    assert ModelVersion.objects.get(pk=repo["v1"].pk).status == "draft"


def test_a_refusal_while_applying_changes_nothing_and_keeps_the_request_approved(world, repo, roles):
    classify(world.record)
    request = approved(world, roles, {"current_version": str(repo["v1"].pk), "description": "New text."})
    Artifact.objects.filter(pk=repo["a1"].pk).update(detected_format="pytorch")
    set_policy(world.lab, **default_change_policy(), high_risk_forbid_pickle=True)
    with pytest.raises(PickleForbidden):
        cr.change_request_apply(actor=world.editor, change_request=request)
    request.refresh_from_db()
    world.record.refresh_from_db()
    assert request.status == "approved" and current_version(world.record) is None
    assert world.record.description != "New text."


def _refused(world, changes):
    with pytest.raises(ValidationFailed) as exc:
        cr.change_request_create(actor=world.editor, product=world.record, title="T", justification="J", changes=changes)
    assert exc.value.status == 400
    return exc.value.details


def test_proposals_are_validated(world, repo):
    foreign = ModelVersion.objects.create(product=world.other_record, label="9.9")
    assert "current_version" in _refused(world, {"current_version": str(foreign.pk)})
    assert "current_version" in _refused(world, {"current_version": "not-an-id"})
    assert "release_version" in _refused(world, {"release_version": 42})
    ModelVersion.objects.filter(pk=repo["v1"].pk).update(status="released", yanked=True, yank_reason="Leaks data")
    assert "yanked" in _refused(world, {"current_version": str(repo["v1"].pk)})["current_version"][0]
    assert "already released" in _refused(world, {"release_version": str(repo["v1"].pk)})["release_version"][0]
    Artifact.objects.filter(pk=repo["a2"].pk).update(safety="unsafe")
    assert "unsafe" in _refused(world, {"current_artifact": str(repo["a2"].pk)})["current_artifact"][0]
    assert "unsafe" in _refused(world, {"release_version": str(repo["v2"].pk)})["release_version"][0]
    artifact_services.artifact_delete(actor=world.editor, product=world.record, artifact=repo["loose"])
    assert "current_artifact" in _refused(world, {"current_artifact": str(repo["loose"].pk)})
    empty = ModelVersion.objects.create(product=world.record, label="3.0.0")
    assert "no uploaded artifact" in _refused(world, {"release_version": str(empty.pk)})["release_version"][0]


def test_the_api_accepts_and_validates_the_proposals(world, repo, api_as):
    client, url = api_as("member"), f"{API}/{world.record.pk}/change-requests"
    body = {"title": "Make 1.0.0 current", "justification": "Validated.",
            "changes": {"current_version": str(repo["v1"].pk).upper(), "release_version": str(repo["v1"].pk)}}
    response = client.post(url, body, format="json")
    assert response.status_code == 201, response.content
    changes = {c["field"]: c for c in response.json()["changes"]}
    assert changes["current_version"]["new_value"] == str(repo["v1"].pk)
    assert changes["current_version"]["new_display"] == "1.0.0" and changes["current_version"]["old_display"] is None
    assert changes["release_version"]["old_value"] is None
    Artifact.objects.filter(pk=repo["loose"].pk).update(safety="unsafe")
    response = client.post(url, {**body, "changes": {"current_artifact": str(repo["loose"].pk)}}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error" and "current_artifact" in error["details"]


# --- the change request pages -------------------------------------------------------------------------------

def test_the_form_offers_selects_prefilled_from_the_refusal_url(world, repo, client_as):
    classify(world.record)
    with pytest.raises(ChangeRequestRequired) as exc:
        version_services.version_release(actor=world.editor, product=world.record, version=repo["v1"])
    client = client_as("member")
    response = client.get(exc.value.details["change_request_url"])
    assert response.status_code == 200
    body = response.content.decode()
    assert f'<option value="{repo["v1"].pk}" selected>1.0.0</option>' in body
    assert 'name="change__release_version"' in body and "Release version 1.0.0" in body
    url = reverse("governance:change_request_create", kwargs={"product_id": world.record.pk})
    response = client.get(url, {"current_artifact": ""})
    assert "loose.safetensors" in response.content.decode() and "model.safetensors (2.0.0)" in response.content.decode()


def test_the_form_opens_a_request_and_the_page_shows_old_and_new_by_name(world, repo, client_as):
    version_services.version_make_current(actor=world.editor, product=world.record, version=repo["v1"])
    classify(world.record)
    client = client_as("editor")
    url = reverse("governance:change_request_create", kwargs={"product_id": world.record.pk})
    response = client.post(url, {"title": "Move to 2.0.0", "justification": "Better recall.",
                                 "change__current_version": str(repo["v2"].pk),
                                 "change__current_artifact": str(repo["loose"].pk)}, follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<code>1.0.0</code>" in body and "<code>2.0.0</code>" in body and "<code>loose.safetensors</code>" in body
    request = world.record.change_requests.get()
    assert {c["field"]: c["old_value"] for c in request.changes}["current_version"] == str(repo["v1"].pk)


def test_the_form_shows_validation_errors(world, repo, client_as):
    ModelVersion.objects.filter(pk=repo["v1"].pk).update(status="released")
    client = client_as("editor")
    url = reverse("governance:change_request_create", kwargs={"product_id": world.record.pk})
    response = client.post(url, {"title": "Release", "justification": "Now.",
                                 "change__release_version": str(repo["v1"].pk)})
    assert response.status_code == 400
    assert "already released" in response.content.decode()
    response = client.post(url, {"title": "Release", "justification": "Now.", "change__current_version": ""})
    assert response.status_code == 400 and "Choose a version of this record." in response.content.decode()


def test_applying_through_the_pages(world, repo, roles, client_as, client):
    classify(world.record)
    request = approved(world, roles, {"current_artifact": str(repo["a1"].pk)})
    response = client_as("editor").post(reverse("governance:change_request_apply",
                                                kwargs={"change_request_id": request.pk}), follow=True)
    assert response.status_code == 200 and "Change request applied." in response.content.decode()
    assert current_artifact(world.record) == repo["a1"]


# --- the pickle rule ------------------------------------------------------------------------------------------

@pytest.fixture
def pickled(world, repo):
    """The 1.0.0 file is a PyTorch checkpoint; only the pickle rule is on for the high-risk record."""
    Artifact.objects.filter(pk=repo["a1"].pk).update(detected_format="pytorch")
    classify(world.record)
    set_policy(world.lab, high_risk_forbid_pickle=True)
    return repo


def test_the_pickle_rule_refuses_pickle_based_files(world, pickled):
    with pytest.raises(PickleForbidden) as exc:
        version_services.version_make_current(actor=world.editor, product=world.record, version=pickled["v1"])
    assert exc.value.status == 409 and "model.safetensors" in exc.value.message and "pickle" in exc.value.message
    assert exc.value.details["files"] == ["model.safetensors"]
    with pytest.raises(PickleForbidden):
        version_services.version_release(actor=world.editor, product=world.record, version=pickled["v1"])
    with pytest.raises(PickleForbidden):
        artifact_services.artifact_make_current(actor=world.editor, product=world.record, artifact=pickled["a1"])
    assert "pickle" in _refused(world, {"current_version": str(pickled["v1"].pk)})["current_version"][0]
    assert "pickle" in _refused(world, {"release_version": str(pickled["v1"].pk)})["release_version"][0]
    # files in other formats go through, and so does everything once the record is not high-risk
    version_services.version_release(actor=world.editor, product=world.record, version=pickled["v2"])
    classify(world.record, "limited")
    version_services.version_make_current(actor=world.editor, product=world.record, version=pickled["v1"])


def test_the_pickle_rule_through_the_api(world, pickled, api_as):
    response = api_as("editor").post(f"{API}/{world.record.pk}/model-versions/{pickled['v1'].pk}/release")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "pickle_forbidden"
    assert response.json()["error"]["details"]["files"] == ["model.safetensors"]


def test_a_pickle_upload_asking_for_make_current_is_attached_but_not_made_current(world):
    classify(world.record)
    set_policy(world.lab, high_risk_forbid_pickle=True)
    session = _complete(world, _upload(world, pickle.dumps({"weights": [1.0, 2.0]}, protocol=4), file_name="m.pkl"))
    assert session.status == "completed" and session.artifact.detected_format == "pickle"
    assert not session.artifact.is_current
    assert session.error["code"] == "make_current_skipped" and session.error["details"]["files"] == ["m.pkl"]
    assert "m.pkl" in session.error["message"]


def test_creation_is_never_governed(world):
    created = make_record(actor=world.editor, space=world.lab, name="Scorer", risk_classification="high")
    assert created.model_details.risk_classification == "high"
