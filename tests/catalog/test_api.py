"""The catalog API: the space directory, one space, and the caller's API tokens."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.models import ApiToken, AuditEvent, Organization, Space
from tests.conftest import make_record, make_user

DIRECTORY = "/api/v1.0/organizations/{}/spaces"
SPACE = "/api/v1.0/catalog/spaces/{}"
TOKENS = "/api/v1.0/users/me/tokens"
TOKEN = "/api/v1.0/users/me/tokens/{}"
RECORDS = "/api/v1.0/catalog/spaces/lab/model-repository/models"


def assert_error(response, status, *, code=None, field=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["message"]
    if code:
        assert body["error"]["code"] == code
    if field:
        assert field in body["error"]["details"], body
        assert field in body["error"]["message"], body
    return body["error"]


@pytest.fixture
def session_as(world):
    def _client(username):
        client = APIClient()
        client.force_login(world.users[username])
        return client
    return _client


# --- Space directory --------------------------------------------------------------------

@pytest.mark.parametrize("username, visible", [
    ("org_member", set()),
    ("viewer", {"lab"}),
    ("outsider", {"other"}),
    ("org_admin", {"lab", "other"}),
])
def test_the_directory_lists_every_space_by_name_and_says_which_the_caller_can_view(world, api_as, username, visible):
    world.other.description = "Secret projects."
    world.other.save()
    response = api_as(username).get(DIRECTORY.format("acme"))
    assert response.status_code == 200
    results = response.json()["results"]
    assert [s["slug"] for s in results] == ["lab", "other"]
    assert {s["slug"] for s in results if s["can_view"]} == visible
    assert set(results[1]) == {"id", "slug", "name", "description", "can_view"}
    assert results[1]["description"] == "Secret projects."


def test_the_directory_is_paginated(world, api_as):
    for i in range(3):
        Space.objects.create(organization=world.org, slug=f"extra-{i}", name=f"Extra {i}")
    body = api_as("viewer").get(DIRECTORY.format("acme"), {"size": 2}).json()
    assert body["count"] == 5
    assert len(body["results"]) == 2
    assert body["next"]


def test_the_directory_never_lists_another_organizations_spaces(world, api_as):
    elsewhere = Organization.objects.create(slug="globex", name="Globex")
    Space.objects.create(organization=elsewhere, slug="globex-lab", name="Globex lab")
    client = api_as("org_admin")
    slugs = [s["slug"] for s in client.get(DIRECTORY.format("acme")).json()["results"]]
    assert "globex-lab" not in slugs
    assert_error(client.get(DIRECTORY.format("globex")), 404, code="not_found")


def test_the_directory_is_404_for_a_non_member_and_401_for_anonymous(world, api_client):
    assert_error(api_client.get(DIRECTORY.format("acme")), 401, code="not_authenticated")
    api_client.force_authenticate(make_user("stranger"))
    assert_error(api_client.get(DIRECTORY.format("acme")), 404, code="not_found")
    assert_error(api_client.get(DIRECTORY.format("nowhere")), 404, code="not_found")


# --- One space --------------------------------------------------------------------------

@pytest.mark.parametrize("username, status, can_create", [
    (None, 401, None), ("outsider", 404, None), ("org_member", 404, None),
    ("viewer", 200, False), ("member", 200, False), ("editor", 200, True), ("space_admin", 200, True),
    ("org_admin", 200, True),
])
def test_space_detail_access(world, api_as, username, status, can_create):
    client = APIClient() if username is None else api_as(username)
    response = client.get(SPACE.format("lab"))
    if status != 200:
        assert_error(response, status)
        return
    assert response.status_code == 200
    body = response.json()
    assert body["slug"] == "lab"
    assert body["organization"] == "acme"
    assert body["can_create_records"] is can_create


def test_space_detail_counts_records(world, api_as):
    make_record(actor=world.editor, space=world.lab, name="Archived one", is_archived=True)
    make_record(actor=world.editor, space=world.lab, name="Second")
    world.lab.catalog_product_limit = 10
    world.lab.save()
    body = api_as("viewer").get(SPACE.format("lab")).json()
    assert body["counts"] == {"model_records": 2, "archived_model_records": 1, "active_products": 2}
    assert body["catalog_product_limit"] == 10


def test_an_unknown_space_is_404(world, api_as):
    assert_error(api_as("org_admin").get(SPACE.format("nowhere")), 404, code="not_found")


# --- API tokens -------------------------------------------------------------------------

def test_creating_a_token_shows_its_secret_once_and_the_secret_works(world, session_as):
    client = session_as("editor")
    response = client.post(TOKENS, {"name": "CI pipeline", "scope": "write"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["token"].startswith("qrn_")
    assert body["scope"] == "write"
    assert body["status"] == "active"
    assert body["prefix"] in body["token"]
    listed = client.get(TOKENS).json()["results"]
    assert [t["name"] for t in listed] == ["CI pipeline"]
    assert "token" not in listed[0]
    assert body["token"] not in str(ApiToken.objects.values_list())

    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert bearer.post(RECORDS, {"name": "Made by CI"}, format="json").status_code == 201


def test_a_token_is_read_scope_unless_asked(world, session_as):
    body = session_as("editor").post(TOKENS, {"name": "Reader"}, format="json").json()
    assert body["scope"] == "read"
    assert body["expires_at"] is None


def test_a_token_can_expire(world, session_as):
    when = (timezone.now() + timedelta(days=30)).replace(microsecond=0)
    body = session_as("editor").post(TOKENS, {"name": "Monthly", "expires_at": when.isoformat()}, format="json").json()
    assert body["expires_at"] == when.isoformat().replace("+00:00", "Z")


def test_the_token_list_holds_only_the_callers_tokens_with_their_status(world, api_as):
    api_as("viewer")
    client = api_as("editor")
    ApiToken.objects.filter(user=world.editor).update(expires_at=timezone.now() + timedelta(days=1))
    expired = client.post(TOKENS, {"name": "Soon"}, format="json").json()
    ApiToken.objects.filter(pk=expired["id"]).update(expires_at=timezone.now() - timedelta(days=1))
    revoked = client.post(TOKENS, {"name": "Gone"}, format="json").json()
    client.delete(TOKEN.format(revoked["id"]))
    first = ApiToken.objects.filter(user=world.editor).earliest("created_at").name
    statuses = {t["name"]: t["status"] for t in client.get(TOKENS).json()["results"]}
    assert statuses == {first: "active", "Soon": "expired", "Gone": "revoked"}


@pytest.mark.parametrize("payload, field", [
    ({}, "name"),
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": None}, "name"),
    ({"name": "n" * 101}, "name"),
    ({"name": "X", "scope": "admin"}, "scope"),
    ({"name": "X", "expires_at": "tomorrow"}, "expires_at"),
    ({"name": "X", "expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
    ({"name": "X", "owner": "viewer"}, "owner"),
    ({"name": "X", "token": "qrn_mine"}, "token"),
])
def test_token_creation_refuses_invalid_input(world, session_as, payload, field):
    before = ApiToken.objects.count()
    assert_error(session_as("editor").post(TOKENS, payload, format="json"), 400, field=field)
    assert ApiToken.objects.count() == before


def test_token_names_are_unique_per_user(world, session_as):
    client = session_as("editor")
    client.post(TOKENS, {"name": "Laptop"}, format="json")
    assert_error(client.post(TOKENS, {"name": "Laptop"}, format="json"), 409, code="duplicate", field="name")
    assert session_as("viewer").post(TOKENS, {"name": "Laptop"}, format="json").status_code == 201


@pytest.mark.parametrize("body", ["[1]", "null", '{"name": '])
def test_token_creation_refuses_a_body_that_is_not_a_json_object(world, session_as, body):
    assert_error(session_as("editor").post(TOKENS, body, content_type="application/json"), 400)


def test_revoking_a_token_stops_it_at_once(world, api_as, session_as):
    api_as("editor")
    token = ApiToken.objects.get(user=world.editor)
    client = session_as("editor")
    response = client.delete(TOKEN.format(token.pk))
    assert response.status_code == 204
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(action="api_token.revoked").count() == 1
    assert client.delete(TOKEN.format(token.pk)).status_code == 204  # revoking again changes nothing


def test_a_revoked_token_is_401_everywhere(world, api_as):
    client = api_as("editor")
    own = ApiToken.objects.get(user=world.editor)
    assert client.delete(TOKEN.format(own.pk)).status_code == 204
    for response in (client.get(TOKENS), client.get(SPACE.format("lab")), client.get(DIRECTORY.format("acme"))):
        error = assert_error(response, 401, code="authentication_failed")
        assert "revoked" in error["message"]
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_token_is_401(world, api_as):
    client = api_as("viewer")
    ApiToken.objects.filter(user=world.viewer).update(expires_at=timezone.now() - timedelta(minutes=1))
    error = assert_error(client.get(TOKENS), 401, code="authentication_failed")
    assert "expired" in error["message"]


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer qrn_123456789012_wrong", "Bearer "])
def test_a_bad_bearer_token_is_401(world, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert_error(client.get(TOKENS), 401, code="authentication_failed")


def test_nobody_can_revoke_another_users_token(world, api_as, session_as):
    api_as("viewer")
    theirs = ApiToken.objects.get(user=world.viewer)
    assert_error(session_as("editor").delete(TOKEN.format(theirs.pk)), 404, code="not_found")
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


@pytest.mark.parametrize("token_id", ["not-a-uuid", str(uuid.uuid4())])
def test_revoking_an_unknown_token_is_404(world, session_as, token_id):
    assert_error(session_as("editor").delete(TOKEN.format(token_id)), 404, code="not_found")


def test_a_read_token_lists_tokens_but_cannot_create_or_revoke(world, api_as):
    client = api_as("editor", scope="read")
    own = ApiToken.objects.get(user=world.editor)
    assert client.get(TOKENS).status_code == 200
    assert_error(client.post(TOKENS, {"name": "Escalate", "scope": "write"}, format="json"), 403)
    assert_error(client.delete(TOKEN.format(own.pk)), 403)
    assert ApiToken.objects.filter(user=world.editor).count() == 1


def test_token_endpoints_need_authentication(world, api_client):
    assert_error(api_client.get(TOKENS), 401)
    assert_error(api_client.post(TOKENS, {"name": "X"}, format="json"), 401)
    assert_error(api_client.delete(TOKEN.format(uuid.uuid4())), 401)


def test_session_writes_need_the_csrf_token(world):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.editor)
    assert client.get(TOKENS).status_code == 200
    assert_error(client.post(TOKENS, {"name": "No csrf"}, format="json"), 403)
    assert not ApiToken.objects.filter(name="No csrf").exists()
