"""Access request pages and API: asking from the directory and from a product link (the same
answer whether or not the product exists), deciding, revoking, cancelling, who may do what."""

import re
import uuid

import pytest
from django.urls import reverse

from catalog.choices import ProductRoleName
from catalog.models import AccessRequest, AuditEvent, ProductRole
from governance import access_requests as ar

pytestmark = pytest.mark.django_db

ALL_USERS = ["viewer", "member", "editor", "space_admin", "outsider", "org_admin", "org_member"]


def ask(world, user="org_member", level="view"):
    return ar.access_request_create(actor=world.users[user], product_id=world.record.pk, level=level,
                                    justification="I audit this model.")


def new_url(world, **query):
    base = reverse("governance:access_request_create", kwargs={"org_slug": world.org.slug})
    return base + "?" + "&".join(f"{k}={v}" for k, v in query.items())


def record_url(world):
    return reverse("modelrepo:model_detail", kwargs={"product_id": world.record.pk})


def _normalised(response, product_id):
    body = response.content.decode().replace(product_id, "ID")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)


# --- asking ----------------------------------------------------------------------------------------

def test_the_directory_offers_view_and_edit_requests_for_spaces_the_user_cannot_open(client_as, world):
    body = client_as("outsider").get(reverse("catalog:space_directory", kwargs={"org_slug": "acme"})).content.decode()
    assert "Ask for view access" in body and "Ask for edit access" in body
    assert "?space=lab&amp;level=view" in body and "?space=other&amp;level=view" not in body


def test_a_space_request_from_the_directory_is_recorded_and_mails_the_space_admins(
        client_as, world, mailoutbox, django_capture_on_commit_callbacks):
    client = client_as("org_member")
    assert client.get(new_url(world, space="lab", level="edit")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(new_url(world), {"space": "lab", "level": "edit", "justification": "I join the team."})
    assert response.status_code == 302 and response["Location"] == reverse("governance:inbox")
    request = AccessRequest.objects.get(requester=world.org_member)
    assert request.space == world.lab and request.product is None and request.level == "edit"
    assert [m.to for m in mailoutbox] == [["space_admin@example.com"]]


def test_the_product_page_answers_the_same_whether_or_not_the_product_exists(client_as, world):
    client = client_as("org_member")
    hidden = client.get(new_url(world, product=world.record.pk))
    missing_id = uuid.uuid4()
    missing = client.get(new_url(world, product=missing_id))
    assert hidden.status_code == missing.status_code == 200
    assert _normalised(hidden, str(world.record.pk)) == _normalised(missing, str(missing_id))
    assert world.record.name not in hidden.content.decode()
    posted_hidden = client.post(new_url(world), {"product": world.record.pk, "level": "view", "justification": "x"})
    posted_missing = client.post(new_url(world), {"product": missing_id, "level": "view", "justification": "x"})
    assert posted_hidden.status_code == posted_missing.status_code == 302
    assert posted_hidden["Location"] == posted_missing["Location"]
    assert AccessRequest.objects.filter(product=world.record).count() == 1
    garbage = client.post(new_url(world), {"product": "not-a-uuid", "level": "view", "justification": "x"})
    assert garbage.status_code == 302 and garbage["Location"] == posted_missing["Location"]


def test_the_api_answers_the_same_whether_or_not_the_product_exists(api_as, world):
    api = api_as("org_member")
    url = "/api/v1.0/governance/access-requests"
    hidden = api.post(url, {"product_id": str(world.record.pk), "level": "view", "justification": "x"}, format="json")
    missing = api.post(url, {"product_id": str(uuid.uuid4()), "level": "view", "justification": "x"}, format="json")
    again = api.post(url, {"product_id": str(world.record.pk), "level": "view", "justification": "x"}, format="json")
    assert hidden.status_code == missing.status_code == again.status_code == 202
    assert hidden.json() == missing.json() == again.json()


def test_asking_needs_a_justification(client_as, world):
    response = client_as("org_member").post(new_url(world), {"space": "lab", "level": "view", "justification": ""})
    assert response.status_code == 400 and "Explain why you need access." in response.content.decode()
    assert not AccessRequest.objects.exists()


@pytest.mark.parametrize("username,status", [("outsider", 200), ("org_member", 200), ("viewer", 200)])
def test_organization_members_may_open_the_ask_page(client_as, world, username, status):
    assert client_as(username).get(new_url(world, product=world.record.pk)).status_code == status


def test_anonymous_users_are_sent_to_sign_in_and_strangers_get_404(client, world, django_user_model):
    assert client.get(new_url(world, space="lab")).status_code == 302
    stranger = django_user_model.objects.create_user("stranger", password="x")
    client.force_login(stranger)
    assert client.get(new_url(world, space="lab")).status_code == 404
    assert client.get(new_url(world, product=world.record.pk)).status_code == 404


# --- deciding --------------------------------------------------------------------------------------

def test_a_grant_takes_effect_at_once_and_a_revoke_removes_it(client_as, world, client, mailoutbox,
                                                              django_capture_on_commit_callbacks):
    request = ask(world)
    assert client_as("org_member").get(record_url(world)).status_code == 404
    client.force_login(world.space_admin)
    detail = reverse("governance:access_request_detail", kwargs={"access_request_id": request.pk})
    page = client.get(detail).content.decode()
    assert "Grant" in page and world.record.name in page
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("governance:access_request_grant", kwargs={"access_request_id": request.pk}))
    assert [m.to for m in mailoutbox] == [["org_member@example.com"]] and "granted" in mailoutbox[0].subject
    client.force_login(world.org_member)
    assert client.get(record_url(world)).status_code == 200
    client.force_login(world.space_admin)
    assert "Revoke access" in client.get(detail).content.decode()
    client.post(reverse("governance:access_request_revoke", kwargs={"access_request_id": request.pk}))
    client.force_login(world.org_member)
    assert client.get(record_url(world)).status_code == 404
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"access_request.granted", "access_request.revoked"} <= actions


def test_rejecting_needs_notes_in_the_page(client_as, world):
    request = ask(world)
    client = client_as("space_admin")
    url = reverse("governance:access_request_reject", kwargs={"access_request_id": request.pk})
    client.post(url, {"notes": ""})
    request.refresh_from_db()
    assert request.status == "requested"
    client.post(url, {"notes": "Not needed for your work."})
    request.refresh_from_db()
    assert request.status == "rejected" and request.notes == "Not needed for your work."


@pytest.mark.parametrize("username,status", [
    ("viewer", 404), ("member", 404), ("editor", 404), ("outsider", 404), ("org_member", 404),
    ("space_admin", 302), ("org_admin", 302)])
def test_who_may_grant_in_the_pages(client_as, world, username, status):
    request = ask(world, user="org_member" if username != "org_member" else "outsider")
    url = reverse("governance:access_request_grant", kwargs={"access_request_id": request.pk})
    assert client_as(username).post(url).status_code == status


@pytest.mark.parametrize("role", [ProductRoleName.OWNER, ProductRoleName.STEWARD])
def test_product_owners_and_stewards_grant(client_as, world, role):
    ProductRole.objects.create(product=world.record, user=world.viewer, role=role)
    request = ask(world)
    url = reverse("governance:access_request_grant", kwargs={"access_request_id": request.pk})
    assert client_as("viewer").post(url).status_code == 302
    request.refresh_from_db()
    assert request.status == "granted" and request.decided_by == world.viewer


def test_the_requester_cancels_and_cannot_grant(client_as, world):
    request = ask(world)
    client = client_as("org_member")
    assert client.post(reverse("governance:access_request_grant",
                               kwargs={"access_request_id": request.pk})).status_code == 403
    client.post(reverse("governance:access_request_cancel", kwargs={"access_request_id": request.pk}))
    request.refresh_from_db()
    assert request.status == "cancelled"


def test_the_requester_of_a_hidden_product_does_not_see_its_name(client_as, world):
    request = ask(world)
    page = client_as("org_member").get(
        reverse("governance:access_request_detail", kwargs={"access_request_id": request.pk}))
    assert page.status_code == 200 and world.record.name not in page.content.decode()


# --- the API ---------------------------------------------------------------------------------------

API = "/api/v1.0/governance/access-requests"


def test_the_api_lifecycle_grant_then_revoke(api_as, world):
    requester = api_as("org_member")
    assert requester.post(API, {"product_id": str(world.record.pk), "level": "edit", "justification": "x"},
                          format="json").status_code == 202
    mine = requester.get(API, {"role": "mine"}).json()["results"]
    assert len(mine) == 1 and mine[0]["product_name"] is None and mine[0]["status"] == "requested"
    admin = api_as("space_admin")
    to_decide = admin.get(API, {"role": "to_decide"}).json()["results"]
    assert [r["id"] for r in to_decide] == [mine[0]["id"]] and to_decide[0]["product_name"] == world.record.name
    granted = admin.post(f"{API}/{mine[0]['id']}/grant", {}, format="json")
    assert granted.status_code == 200 and granted.json()["status"] == "granted"
    record = f"/api/v1.0/catalog/products/{world.record.pk}/model-repository"
    assert requester.get(record).status_code == 200
    assert admin.post(f"{API}/{mine[0]['id']}/revoke", {}, format="json").json()["status"] == "revoked"
    assert requester.get(record).status_code == 404


def test_the_api_rejects_only_with_notes_and_lets_the_requester_cancel(api_as, world):
    request = ask(world)
    admin = api_as("space_admin")
    refused = admin.post(f"{API}/{request.pk}/reject", {}, format="json")
    assert refused.status_code == 400 and "notes" in refused.json()["error"]["details"]
    assert admin.post(f"{API}/{request.pk}/reject", {"notes": "No."}, format="json").json()["status"] == "rejected"
    second = ask(world, level="edit")
    assert api_as("org_member").post(f"{API}/{second.pk}/cancel").json()["status"] == "cancelled"


def test_the_api_space_request_answers_with_the_request(api_as, world):
    response = api_as("org_member").post(API, {"space": "lab", "level": "view", "justification": "x"}, format="json")
    assert response.status_code == 201 and response.json()["space"] == "lab"
    both = api_as("org_member").post(API, {"space": "lab", "product_id": str(world.record.pk), "justification": "x"},
                                     format="json")
    assert both.status_code == 400


@pytest.mark.parametrize("username,status", [
    ("viewer", 404), ("member", 404), ("editor", 404), ("outsider", 404), ("org_member", 404),
    ("space_admin", 200), ("org_admin", 200)])
def test_who_may_grant_through_the_api(api_as, world, username, status):
    request = ask(world, user="org_member" if username != "org_member" else "outsider")
    assert api_as(username).post(f"{API}/{request.pk}/grant", {}, format="json").status_code == status


def test_the_api_needs_authentication(api_client, world):
    assert api_client.get(API).status_code == 401
    assert api_client.post(API, {"space": "lab", "justification": "x"}, format="json").status_code == 401
