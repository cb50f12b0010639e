"""Space members managed by space admins, in the page and the API: add a user of the
organization with a role, change a role, remove; audited; the last admin stays."""

import pytest
from django.urls import reverse

from catalog import services
from catalog.models import AuditEvent, SpaceMembership
from common.errors import Conflict, PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db

PAGE = "/s/lab/members/"
API = "/api/v1.0/catalog/spaces/lab/members"


def role_of(world, username):
    return SpaceMembership.objects.filter(space=world.lab, user=world.users[username]).values_list(
        "role", flat=True).first()


@pytest.mark.parametrize("username,status", [
    ("viewer", 403), ("member", 403), ("editor", 403), ("outsider", 404), ("org_member", 404),
    ("space_admin", 200), ("org_admin", 200)])
def test_only_space_admins_open_the_members_page(client_as, world, username, status):
    assert reverse("catalog:space_members", kwargs={"space_slug": "lab"}) == PAGE
    assert client_as(username).get(PAGE).status_code == status
    posted = client_as(username).post(PAGE, {"action": "remove", "username": "viewer"})
    assert posted.status_code == (302 if status == 200 else status)
    assert role_of(world, "viewer") == (None if status == 200 else "viewer")


def test_anonymous_users_are_sent_to_sign_in(client, world):
    assert client.get(PAGE).status_code == 302
    assert client.post(PAGE, {"action": "remove", "username": "viewer"}).status_code == 302
    assert role_of(world, "viewer") == "viewer"


def test_an_admin_adds_changes_and_removes_a_member_and_each_change_is_audited(client_as, world):
    client = client_as("space_admin")
    page = client.get(PAGE).content.decode()
    assert "org_member" in page and "outsider" in page
    client.post(PAGE, {"action": "add", "username": "org_member", "role": "member"})
    assert role_of(world, "org_member") == "member"
    client.post(PAGE, {"action": "change", "username": "org_member", "role": "editor"})
    assert role_of(world, "org_member") == "editor"
    client.post(PAGE, {"action": "remove", "username": "org_member"})
    assert role_of(world, "org_member") is None
    events = list(AuditEvent.objects.filter(target_id=str(world.lab.pk)).order_by("sequence").values_list(
        "action", "changes"))
    assert [a for a, _ in events][-3:] == ["space_membership.set", "space_membership.set", "space_membership.removed"]
    assert events[-2][1]["role"] == {"old": "member", "new": "editor"}
    assert events[-1][1]["user"] == {"old": "org_member", "new": None}


def test_only_users_of_the_organization_can_be_added(world, django_user_model):
    stranger = django_user_model.objects.create_user("stranger", password="x")
    with pytest.raises(ValidationFailed):
        services.space_member_add(actor=world.space_admin, space=world.lab, user=stranger, role="viewer")
    with pytest.raises(Conflict):
        services.space_member_add(actor=world.space_admin, space=world.lab, user=world.viewer, role="viewer")
    with pytest.raises(PermissionDenied):
        services.space_member_add(actor=world.editor, space=world.lab, user=world.org_member, role="viewer")


def test_the_last_admin_can_be_neither_removed_nor_demoted(client_as, world):
    with pytest.raises(Conflict):
        services.space_membership_remove(actor=world.org_admin, space=world.lab, user=world.space_admin)
    with pytest.raises(Conflict):
        services.space_member_change_role(actor=world.org_admin, space=world.lab, user=world.space_admin,
                                          role="editor")
    response = client_as("space_admin").post(PAGE, {"action": "remove", "username": "space_admin"}, follow=True)
    assert "at least one admin" in response.content.decode()
    assert role_of(world, "space_admin") == "admin"
    services.space_member_change_role(actor=world.space_admin, space=world.lab, user=world.editor, role="admin")
    services.space_membership_remove(actor=world.editor, space=world.lab, user=world.space_admin)
    assert role_of(world, "space_admin") is None


@pytest.mark.parametrize("username,status", [
    ("viewer", 403), ("member", 403), ("editor", 403), ("outsider", 404), ("org_member", 404),
    ("space_admin", 200), ("org_admin", 200)])
def test_only_space_admins_use_the_members_api(api_as, world, username, status):
    api = api_as(username)
    assert api.get(API).status_code == status
    created = api.post(API, {"username": "org_member", "role": "viewer"}, format="json")
    assert created.status_code == (201 if status == 200 else status)
    assert api.patch(f"{API}/viewer", {"role": "member"}, format="json").status_code == status
    assert api.delete(f"{API}/viewer").status_code == (204 if status == 200 else status)


def test_the_members_api_lists_changes_and_refuses_bad_input(api_as, world):
    api = api_as("space_admin")
    usernames = [m["username"] for m in api.get(API).json()["results"]]
    assert usernames == sorted(["viewer", "member", "editor", "space_admin"])
    assert api.post(API, {"username": "nobody", "role": "viewer"}, format="json").status_code == 400
    assert api.post(API, {"username": "org_member", "role": "owner"}, format="json").status_code == 400
    assert api.patch(f"{API}/org_member", {"role": "viewer"}, format="json").status_code == 404
    last = api.delete(f"{API}/space_admin")
    assert last.status_code == 409 and last.json()["error"]["code"] == "last_admin"


def test_the_members_api_needs_authentication(api_client, world):
    assert api_client.get(API).status_code == 401
