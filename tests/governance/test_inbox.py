"""The inbox: what waits for my review or decision, my own requests with their states, and
the count in the navigation bar."""

import pytest
from django.test import RequestFactory

from catalog.choices import ProductRoleName
from catalog.models import ProductRole
from governance import access_requests, change_requests
from qarion.context_processors import inbox as inbox_context

pytestmark = pytest.mark.django_db

INBOX = "/inbox/"


def open_change_request(world, actor=None):
    return change_requests.change_request_create(actor=actor or world.editor, product=world.record, title="Raise the risk",
                                          justification="New use case.", changes={"risk_classification": "high"})


def ask_access(world, actor=None):
    return access_requests.access_request_create(actor=actor or world.org_member, product_id=world.record.pk, level="view",
                                          justification="I audit this model.")


def nav_count(world, username):
    request = RequestFactory().get("/")
    request.user = world.users[username]
    return int(str(inbox_context(request)["nav_inbox_count"]))


def test_the_inbox_lists_what_waits_for_me(client_as, world):
    change_request = open_change_request(world)
    access_request = ask_access(world)
    body = client_as("space_admin").get(INBOX).content.decode()
    assert change_request.title in body and f"/change-requests/{change_request.pk}/" in body
    assert f"/access-requests/{access_request.pk}/" in body and "org_member asks view access" in body


def test_the_inbox_lists_my_own_requests_and_their_states(client_as, world):
    change_request = open_change_request(world)
    access_request = ask_access(world)
    access_requests.access_request_reject(actor=world.space_admin, access_request=access_request, notes="Not now.")
    editor_page = client_as("editor").get(INBOX).content.decode()
    assert change_request.title in editor_page and "Pending" in editor_page
    assert "Nothing to review." in editor_page
    requester_page = client_as("org_member").get(INBOX).content.decode()
    assert f"/access-requests/{access_request.pk}/" in requester_page and "Rejected" in requester_page
    assert world.record.name not in requester_page


def test_the_navigation_count_adds_reviews_and_decisions(client_as, world):
    assert nav_count(world, "space_admin") == 0
    open_change_request(world)
    ask_access(world)
    assert nav_count(world, "space_admin") == 2
    assert nav_count(world, "editor") == 0
    assert nav_count(world, "org_member") == 0
    ProductRole.objects.create(product=world.record, user=world.viewer, role=ProductRoleName.OWNER)
    assert nav_count(world, "viewer") == 2  # reviews as owner, decides as owner
    page = client_as("space_admin").get("/inbox/").content.decode()
    assert 'class="badge rounded-pill text-bg-warning inbox-count"' in page and ">2</span>" in page


def test_the_navigation_count_costs_one_query(world, django_assert_max_num_queries):
    open_change_request(world)
    ask_access(world)
    with django_assert_max_num_queries(1):
        assert nav_count(world, "space_admin") == 2


def test_no_count_for_anonymous_users(world):
    request = RequestFactory().get("/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    assert inbox_context(request) == {}


def test_a_decider_is_mailed_when_access_is_asked_and_the_requester_when_decided(
        world, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        access_request = ask_access(world)
    assert [m.to for m in mailoutbox] == [["space_admin@example.com"]]
    with django_capture_on_commit_callbacks(execute=True):
        access_requests.access_request_grant(actor=world.space_admin, access_request=access_request)
    assert mailoutbox[-1].to == ["org_member@example.com"] and "granted" in mailoutbox[-1].subject


@pytest.mark.parametrize("username", ["viewer", "member", "editor", "space_admin", "outsider", "org_admin",
                                      "org_member"])
def test_every_signed_in_user_has_an_inbox(client_as, world, username):
    response = client_as(username).get(INBOX)
    assert response.status_code == 200 and "Inbox" in response.content.decode()


def test_anonymous_users_are_sent_to_sign_in(client, world):
    assert client.get(INBOX).status_code == 302
