"""Change requests: the approval rule, apply and stale detection, the change policy on direct
updates, and the API and pages over them."""

import pytest
from django.core import mail
from django.urls import reverse

from catalog.choices import ProductRoleName
from catalog.models import AuditEvent, ProductRole
from common.errors import Conflict, PermissionDenied, ValidationFailed
from governance import change_requests as cr
from governance.models import ChangeRequest
from modelrepo import services as modelrepo_services
from modelrepo.policy import ChangeRequestRequired
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def details(product):
    product.refresh_from_db()
    return product.model_details


def open_cr(world, actor=None, changes=None, **kwargs):
    return cr.change_request_create(actor=actor or world.editor, product=world.record, title="Reclassify",
                                    justification="Used for credit decisions.",
                                    changes=changes or {"risk_classification": "high"}, **kwargs)


@pytest.fixture
def roles(world):
    owner, architect = make_user("owner"), make_user("architect")
    ProductRole.objects.create(product=world.record, user=owner, role=ProductRoleName.OWNER)
    ProductRole.objects.create(product=world.record, user=architect, role=ProductRoleName.DATA_ARCHITECT)
    return owner, architect


# --- lifecycle ---------------------------------------------------------------------------------------

def test_it_is_applied_once_every_reviewer_group_approved(world, roles):
    owner, architect = roles
    request = open_cr(world)
    assert request.status == "pending"
    assert request.changes == [{"field": "risk_classification", "old_value": "unclassified", "new_value": "high"}]
    request = cr.change_request_review(actor=owner, change_request=request, decision="approve")
    assert request.status == "pending"
    request = cr.change_request_review(actor=architect, change_request=request, decision="approve")
    assert request.status == "approved"
    request = cr.change_request_apply(actor=world.editor, change_request=request)
    assert request.status == "applied"
    assert details(world.record).risk_classification == "high"


def test_applied_changes_appear_in_the_audit_log_with_old_and_new(world, roles):
    request = open_cr(world)
    for reviewer in roles:
        cr.change_request_review(actor=reviewer, change_request=request, decision="approve")
    cr.change_request_apply(actor=world.space_admin, change_request=request)
    event = AuditEvent.objects.filter(action="model_record.updated", target_id=str(world.record.pk)).latest("sequence")
    assert event.changes["risk_classification"] == {"old": "unclassified", "new": "high"}
    assert event.actor_name == "space_admin"
    actions = set(AuditEvent.objects.filter(target_id=str(world.record.pk)).values_list("action", flat=True))
    assert {"change_request.opened", "change_request.approved", "change_request.applied"} <= actions


def test_rejecting_needs_notes_and_any_rejection_rejects(world, roles):
    owner, architect = roles
    request = open_cr(world)
    cr.change_request_review(actor=owner, change_request=request, decision="approve")
    with pytest.raises(ValidationFailed) as exc:
        cr.change_request_review(actor=architect, change_request=request, decision="reject", notes="  ")
    assert "notes" in exc.value.details
    request = cr.change_request_review(actor=architect, change_request=request, decision="reject", notes="No evidence.")
    assert request.status == "rejected"
    with pytest.raises(Conflict):
        cr.change_request_apply(actor=world.editor, change_request=request)
    assert details(world.record).risk_classification == "unclassified"


def test_the_requester_can_never_approve_their_own(world, roles):
    owner, _ = roles
    request = open_cr(world, actor=owner)
    with pytest.raises(PermissionDenied):
        cr.change_request_review(actor=owner, change_request=request, decision="approve")


def test_a_space_admin_stands_in_for_an_empty_group(world):
    owner = make_user("owner")
    ProductRole.objects.create(product=world.record, user=owner, role=ProductRoleName.OWNER)
    request = open_cr(world)
    request = cr.change_request_review(actor=owner, change_request=request, decision="approve")
    assert request.status == "pending"  # data architects: empty, the admin stands in
    request = cr.change_request_review(actor=world.space_admin, change_request=request, decision="approve")
    assert request.status == "approved"


def test_a_space_admin_stands_in_for_a_group_holding_only_the_requester(world):
    ProductRole.objects.create(product=world.record, user=world.editor, role=ProductRoleName.OWNER)
    request = open_cr(world)
    request = cr.change_request_review(actor=world.space_admin, change_request=request, decision="approve")
    assert request.status == "approved"


def test_a_space_admin_does_not_stand_in_for_a_group_with_members(world, roles):
    request = open_cr(world)
    request = cr.change_request_review(actor=world.space_admin, change_request=request, decision="approve")
    assert request.status == "pending"


def test_viewers_and_editors_cannot_review(world, roles):
    request = open_cr(world, actor=world.member)
    for user in (world.viewer, world.editor, world.outsider):
        with pytest.raises(PermissionDenied):
            cr.change_request_review(actor=user, change_request=request, decision="approve")


def test_a_request_whose_fields_changed_meanwhile_becomes_stale_and_changes_nothing(world, roles):
    request = open_cr(world, changes={"risk_classification": "high", "description": "Scores credit."})
    for reviewer in roles:
        cr.change_request_review(actor=reviewer, change_request=request, decision="approve")
    world.lab.change_policy = {}
    world.lab.save()
    modelrepo_services.model_record_update(actor=world.editor, product=world.record,
                                           data={"risk_classification": "limited"})
    with pytest.raises(Conflict) as exc:
        cr.change_request_apply(actor=world.editor, change_request=request)
    assert exc.value.code == "stale"
    request.refresh_from_db()
    assert request.status == "stale"
    assert details(world.record).risk_classification == "limited"
    assert world.record.description != "Scores credit."


def test_the_requester_cancels_and_nobody_else(world, roles):
    request = open_cr(world)
    with pytest.raises(PermissionDenied):
        cr.change_request_cancel(actor=world.space_admin, change_request=request)
    request = cr.change_request_cancel(actor=world.editor, change_request=request)
    assert request.status == "cancelled"
    with pytest.raises(Conflict):
        cr.change_request_review(actor=roles[0], change_request=request, decision="approve")


def test_only_the_requester_or_a_space_admin_applies(world, roles):
    request = open_cr(world)
    for reviewer in roles:
        cr.change_request_review(actor=reviewer, change_request=request, decision="approve")
    for user in (roles[0], world.member, world.viewer):
        with pytest.raises(PermissionDenied):
            cr.change_request_apply(actor=user, change_request=request)


def test_a_draft_is_submitted_by_its_requester(world, roles):
    request = open_cr(world, submit=False)
    assert request.status == "draft"
    with pytest.raises(Conflict):
        cr.change_request_review(actor=roles[0], change_request=request, decision="approve")
    assert cr.change_request_submit(actor=world.editor, change_request=request).status == "pending"


@pytest.mark.parametrize("changes, field", [
    ({"risk_classification": "extreme"}, "risk_classification"),
    ({"no_such_field": 1}, "no_such_field"),
    ({"slug": "x"}, "slug"),
    ({}, "changes"),
])
def test_it_refuses_invalid_proposals(world, changes, field):
    with pytest.raises(ValidationFailed) as exc:
        cr.change_request_create(actor=world.editor, product=world.record, title="T", justification="J",
                                 changes=changes)
    assert field in exc.value.details


def test_viewers_cannot_open_change_requests(world):
    with pytest.raises(PermissionDenied):
        open_cr(world, actor=world.viewer)


def test_reviewers_and_then_the_requester_get_an_email(world, roles, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request = open_cr(world)
    assert {"owner@example.com", "architect@example.com", "space_admin@example.com"} <= set(mail.outbox[-1].to)
    with django_capture_on_commit_callbacks(execute=True):
        cr.change_request_review(actor=roles[0], change_request=request, decision="reject", notes="No.")
    assert mail.outbox[-1].to == ["editor@example.com"]


# --- the change policy on direct updates ---------------------------------------------------------------

def test_a_governed_field_is_refused_through_the_service(world):
    with pytest.raises(ChangeRequestRequired) as exc:
        modelrepo_services.model_record_update(actor=world.editor, product=world.record,
                                               data={"risk_classification": "high"})
    assert exc.value.status == 409 and exc.value.code == "change_request_required"
    assert "change request" in exc.value.message
    with pytest.raises(ChangeRequestRequired):
        modelrepo_services.model_record_update(actor=world.space_admin, product=world.record,
                                               data={"deployment_status": "production"})
    assert details(world.record).risk_classification == "unclassified"


def test_ungoverned_updates_and_creation_are_not_refused(world):
    modelrepo_services.model_record_update(actor=world.editor, product=world.record,
                                           data={"deployment_status": "staging", "risk_classification": "unclassified"})
    assert details(world.record).deployment_status == "staging"
    from tests.conftest import make_record
    created = make_record(actor=world.editor, space=world.lab, name="Scorer", risk_classification="high",
                          deployment_status="production")
    assert created.model_details.risk_classification == "high"


def test_a_space_without_the_rule_lets_the_update_through(world):
    world.lab.change_policy = {"deployment_status_production": True}
    world.lab.save()
    modelrepo_services.model_record_update(actor=world.editor, product=world.record, data={"risk_classification": "high"})
    assert details(world.record).risk_classification == "high"


def test_a_governed_field_is_refused_through_the_api(world, api_as):
    url = f"/api/v1.0/catalog/products/{world.record.pk}/model-repository"
    response = api_as("editor").patch(url, {"risk_classification": "high"}, format="json")
    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "change_request_required"
    assert "change_request_url" in response.json()["error"]["details"]
    assert api_as("editor").patch(url, {"description": "Fine."}, format="json").status_code == 200


def test_a_governed_field_is_refused_through_the_edit_form(world, client_as):
    from tests.modelrepo.test_views import edit_data, edit_url

    client = client_as("editor")
    response = client.post(edit_url(world.record), edit_data(world.record, risk_classification="high"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "change request" in body
    assert reverse("governance:change_request_create", kwargs={"product_id": world.record.pk}) in body
    assert details(world.record).risk_classification == "unclassified"


def test_the_admin_cannot_change_a_governed_field(world, client):
    admin = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = reverse("admin:modelrepo_modeldetails_change", args=[world.record.model_details.pk])
    client.post(url, {"risk_classification": "high"})
    assert details(world.record).risk_classification == "unclassified"


# --- pages and API: who may do what -------------------------------------------------------------------

@pytest.mark.parametrize("username, list_status, create_status", [
    ("outsider", 404, 404), ("viewer", 200, 403), ("member", 200, 200), ("editor", 200, 200),
    ("space_admin", 200, 200), ("org_admin", 200, 200),
])
def test_pages_answer_by_role(world, client, username, list_status, create_status):
    client.force_login(world.users[username])
    base = f"/models/{world.record.pk}/governance/change-requests/"
    assert client.get(base).status_code == list_status
    assert client.get(base + "new/?risk_classification=high").status_code == create_status


def test_the_form_offers_a_field_with_fixed_values_as_a_select_of_those_values(world, client):
    client.force_login(world.editor)
    page = client.get(f"/models/{world.record.pk}/governance/change-requests/new/?risk_classification=high")
    body = page.content.decode()
    select = body[body.index('<select class="form-select form-select-sm" id="change-risk_classification"'):]
    select = select[:select.index("</select>")]
    assert '<option value="high" selected>' in select
    assert '<option value="unacceptable"' in select and '<option value="minimal"' in select


def test_pages_send_anonymous_users_to_sign_in(world, client):
    request = open_cr(world)
    for url in (f"/models/{world.record.pk}/governance/change-requests/", f"/change-requests/{request.pk}/"):
        assert client.get(url).status_code == 302


def test_the_ui_journey_opens_approves_and_applies(world, client):
    ProductRole.objects.create(product=world.record, user=make_user("owner"), role=ProductRoleName.OWNER)
    client.force_login(world.editor)
    response = client.post(f"/models/{world.record.pk}/governance/change-requests/new/", {
        "title": "Reclassify", "justification": "Credit use.", "change__risk_classification": "high", "open": "1"})
    assert response.status_code == 302, response.content.decode()
    request = ChangeRequest.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert "unclassified" in page and "high" in page
    client.force_login(world.users.get("owner") or request.product.roles.get().user)
    client.post(f"/change-requests/{request.pk}/review/", {"decision": "approve"})
    client.force_login(world.space_admin)
    client.post(f"/change-requests/{request.pk}/review/", {"decision": "approve"})
    client.force_login(world.editor)
    client.post(f"/change-requests/{request.pk}/apply/")
    request.refresh_from_db()
    assert request.status == "applied"
    assert details(world.record).risk_classification == "high"


def test_the_ui_form_shows_errors_not_a_500(world, client):
    client.force_login(world.editor)
    response = client.post(f"/models/{world.record.pk}/governance/change-requests/new/", {
        "title": "", "justification": "", "change__training_compute_flops": "lots", "open": "1"})
    assert response.status_code == 400


def test_the_api_lifecycle_and_refusals(world, api_as, roles):
    url = f"/api/v1.0/catalog/products/{world.record.pk}/change-requests"
    assert api_as("viewer").post(url, {"title": "T", "justification": "J", "changes": {"risk_classification": "high"}},
                                 format="json").status_code == 403
    assert api_as("outsider").get(url).status_code == 404
    assert api_as("editor").post(url, {"title": "T"}, format="json").status_code == 400
    response = api_as("editor").post(url, {"title": "T", "justification": "J",
                                           "changes": {"risk_classification": "high"}}, format="json")
    assert response.status_code == 201, response.content
    cr_url = f"/api/v1.0/governance/change-requests/{response.json()['id']}"
    assert api_as("editor").post(f"{cr_url}/reviews", {"decision": "approve"}, format="json").status_code == 403
    assert api_as("outsider").get(cr_url).status_code == 404
    assert api_as("editor").get("/api/v1.0/governance/change-requests/nope").status_code == 404
    reject = api_as("space_admin").post(f"{cr_url}/reviews", {"decision": "reject"}, format="json")
    assert reject.status_code == 400
    assert api_as("editor").post(f"{cr_url}/apply", format="json").status_code == 409
    assert api_as("editor").post(f"{cr_url}/cancel", format="json").json()["status"] == "cancelled"
    assert api_as("editor").get(url).json()["results"][0]["status"] == "cancelled"
