"""The space change policy page and API: space and organization admins turn rules on or off,
everyone else who sees the space is refused (403), who cannot see it gets 404; unknown rules
are refused in the error format; one audit event per change; the policy takes effect on the
next direct update."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from catalog.models import AuditEvent, Space
from common import errors
from governance.space_policy import space_change_policy_update
from modelrepo import policy

pytestmark = pytest.mark.django_db

API = "/api/v1.0/catalog/spaces/{}/change-policy"
ADMINS = ["space_admin", "org_admin"]
# user → status on the page (GET and POST) and for the API's PATCH
REFUSED = [("outsider", 404), ("org_member", 404), ("viewer", 403), ("member", 403), ("editor", 403)]


def page_url(slug="lab"):
    return reverse("governance:space_change_policy", kwargs={"space_slug": slug})


def stored_rules(space):
    return policy.rules(Space.objects.get(pk=space.pk))


def policy_events():
    return AuditEvent.objects.filter(action="space.change_policy_updated")


# --- the page --------------------------------------------------------------------------------------

@pytest.mark.parametrize("username", ADMINS)
def test_admins_see_one_checkbox_per_rule_with_its_label(client_as, world, username):
    response = client_as(username).get(page_url())
    body = response.content.decode()
    assert response.status_code == 200
    for name, label in policy.RULE_LABELS.items():
        assert f'value="{name}"' in body and label in body
    assert body.count('type="checkbox"') == len(policy.RULE_LABELS)
    assert "csrfmiddlewaretoken" in body and "never governed" in body


@pytest.mark.parametrize("username", ADMINS)
def test_admins_save_the_policy_and_see_a_success_message(client_as, world, username):
    client = client_as(username)
    kept_on = [name for name in policy.RULE_LABELS if name != policy.RISK_CLASSIFICATION]
    response = client.post(page_url(), {"rules": kept_on}, follow=True)
    assert response.redirect_chain[-1] == (page_url(), 302)
    assert "Change policy of Lab saved." in response.content.decode()
    assert stored_rules(world.lab) == {name: name in kept_on for name in policy.RULE_LABELS}
    assert f'id="rule-{policy.RISK_CLASSIFICATION}" checked' not in response.content.decode()


def test_the_page_refuses_a_post_without_the_csrf_token(client, world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.space_admin)
    before = stored_rules(world.lab)
    assert client.post(page_url(), {"rules": []}).status_code == 403
    assert stored_rules(world.lab) == before


@pytest.mark.parametrize("username,status", REFUSED)
def test_others_are_refused_the_page_and_nothing_changes(client_as, world, username, status):
    client = client_as(username)
    before = stored_rules(world.lab)
    assert client.get(page_url()).status_code == status
    assert client.post(page_url(), {"rules": []}).status_code == status
    assert stored_rules(world.lab) == before and not policy_events().exists()


def test_anonymous_users_are_sent_to_sign_in(client, world):
    before = stored_rules(world.lab)
    assert client.get(page_url()).status_code == 302
    assert client.post(page_url(), {"rules": []}).status_code == 302
    assert stored_rules(world.lab) == before


def test_an_unknown_space_is_404(client_as, world):
    assert client_as("space_admin").get(page_url("nowhere")).status_code == 404


@pytest.mark.parametrize("username,linked", [("space_admin", True), ("org_admin", True), ("editor", False),
                                             ("viewer", False)])
def test_the_space_page_links_the_policy_for_admins_only(client_as, world, username, linked):
    body = client_as(username).get(reverse("modelrepo:space_model_list", kwargs={"space_slug": "lab"})).content.decode()
    assert (page_url() in body) is linked
    assert (reverse("catalog:space_members", kwargs={"space_slug": "lab"}) in body) is linked


# --- the API ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["viewer", "member", "editor", "space_admin", "org_admin"])
def test_anyone_who_sees_the_space_reads_the_policy(api_as, world, username):
    response = api_as(username, scope="read").get(API.format("lab"))
    assert response.status_code == 200
    assert response.json() == {"rules": stored_rules(world.lab), "labels": policy.RULE_LABELS}
    assert list(response.json()["rules"]) == list(policy.RULE_LABELS)


@pytest.mark.parametrize("username", ["outsider", "org_member"])
def test_who_cannot_see_the_space_gets_404(api_as, world, username):
    api = api_as(username)
    for response in (api.get(API.format("lab")), api.patch(API.format("lab"), {"rules": {}}, format="json")):
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_anonymous_api_callers_get_401(api_client, world):
    assert api_client.get(API.format("lab")).status_code == 401
    assert api_client.patch(API.format("lab"), {"rules": {}}, format="json").status_code == 401


@pytest.mark.parametrize("username", ADMINS)
def test_admins_patch_some_rules_and_the_others_keep_their_value(api_as, world, username):
    expected = {**stored_rules(world.lab), policy.HIGH_RISK_RELEASE: False}
    response = api_as(username).patch(API.format("lab"), {"rules": {policy.HIGH_RISK_RELEASE: False}}, format="json")
    assert response.status_code == 200
    assert response.json()["rules"] == expected == stored_rules(world.lab)


@pytest.mark.parametrize("username", ["viewer", "member", "editor"])
def test_members_without_manage_get_403_on_patch(api_as, world, username):
    response = api_as(username).patch(API.format("lab"), {"rules": {policy.RISK_CLASSIFICATION: False}}, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
    assert stored_rules(world.lab)[policy.RISK_CLASSIFICATION] is True


def test_a_read_token_cannot_patch(api_as, world):
    response = api_as("space_admin", scope="read").patch(API.format("lab"), {"rules": {}}, format="json")
    assert response.status_code == 403


def test_an_unknown_rule_is_refused_with_400_and_nothing_changes(api_as, world):
    response = api_as("space_admin").patch(
        API.format("lab"), {"rules": {"no_such_rule": True, policy.RISK_CLASSIFICATION: False}}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error" and list(error["details"]) == ["no_such_rule"]
    assert "no_such_rule" in error["message"]
    assert stored_rules(world.lab)[policy.RISK_CLASSIFICATION] is True and not policy_events().exists()


@pytest.mark.parametrize("body", [{"rules": {policy.RISK_CLASSIFICATION: "maybe"}}, {"rules": []}, {}])
def test_a_malformed_body_is_refused_with_400(api_as, world, body):
    response = api_as("space_admin").patch(API.format("lab"), body, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "validation_error"


# --- the service and its audit event ---------------------------------------------------------------

def test_a_change_records_one_event_with_old_and_new_per_rule(world):
    space_change_policy_update(actor=world.space_admin, space=world.lab,
                               rules={policy.RISK_CLASSIFICATION: False, policy.HIGH_RISK_RELEASE: True})
    event = policy_events().get()
    assert event.actor_name == "space_admin" and event.space_slug == "lab"
    assert event.target_type == "space" and event.target_id == str(world.lab.pk)
    assert event.changes == {policy.RISK_CLASSIFICATION: {"old": True, "new": False}}


def test_saving_the_same_policy_again_records_nothing(world):
    space_change_policy_update(actor=world.space_admin, space=world.lab, rules={policy.RISK_CLASSIFICATION: True})
    assert not policy_events().exists()


def test_the_service_refuses_non_admins(world):
    with pytest.raises(errors.PermissionDenied):
        space_change_policy_update(actor=world.editor, space=world.lab, rules={policy.RISK_CLASSIFICATION: False})


# --- the policy takes effect -----------------------------------------------------------------------

def test_turning_risk_classification_off_and_on_governs_the_next_direct_update(api_as, world):
    admin, editor = api_as("space_admin"), api_as("editor")
    record_url = f"/api/v1.0/catalog/products/{world.record.pk}/model-repository"
    rule = policy.RISK_CLASSIFICATION
    assert admin.patch(API.format("lab"), {"rules": {rule: False}}, format="json").status_code == 200
    response = editor.patch(record_url, {"risk_classification": "limited"}, format="json")
    assert response.status_code == 200 and response.json()["risk_classification"] == "limited"
    assert admin.patch(API.format("lab"), {"rules": {rule: True}}, format="json").status_code == 200
    response = editor.patch(record_url, {"risk_classification": "high"}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "change_request_required"
    assert editor.get(record_url).json()["risk_classification"] == "limited"


def test_the_edit_form_refusal_links_the_pre_filled_change_request(client_as, world):
    from tests.modelrepo.test_views import edit_data, edit_url

    response = client_as("editor").post(edit_url(world.record), edit_data(world.record, risk_classification="high"))
    url = escape(policy.change_request_url(world.record, {"risk_classification": "high"}))
    assert f'<a class="alert-link" href="{url}">Open a change request with this change</a>' in response.content.decode()
