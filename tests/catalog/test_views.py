import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog import services, tokens
from catalog.models import ApiToken, Space
from tests.conftest import make_user

TOKENS_URL = "/settings/tokens/"


def directory_url(world):
    return reverse("catalog:space_directory", kwargs={"org_slug": world.org.slug})


def revoke_url(token):
    return reverse("catalog:token_revoke", kwargs={"token_id": token.pk})


# --- Space directory ----------------------------------------------------------------------

def test_the_directory_sends_an_anonymous_visitor_to_the_login_page(world, client):
    response = client.get(directory_url(world))
    assert response.status_code == 302
    assert response["Location"].startswith(f"{reverse('login')}?next=")


@pytest.mark.parametrize("username", ["viewer", "editor", "space_admin", "outsider", "org_member", "org_admin"])
def test_every_organization_member_sees_the_names_of_all_its_spaces(world, client_as, username):
    world.other.description = "Where the secret models live."
    world.other.save()
    response = client_as(username).get(directory_url(world))
    assert response.status_code == 200
    assert [space.name for space, _ in response.context["spaces"]] == ["Lab", "Other"]
    main = response.content.decode().split('id="main"')[1]
    assert "Lab" in main and "Other" in main and "Where the secret models live." in main
    assert "Secret sauce" not in main and "Churn predictor" not in main  # names of spaces, never contents


def test_the_directory_links_only_the_spaces_the_user_can_open(world, client_as):
    response = client_as("viewer").get(directory_url(world))
    openable = {space.slug: can_open for space, can_open in response.context["spaces"]}
    assert openable == {"lab": True, "other": False}
    body = response.content.decode()
    assert reverse("modelrepo:space_model_list", kwargs={"space_slug": "lab"}) in body.split('id="main"')[1]
    assert reverse("modelrepo:space_model_list", kwargs={"space_slug": "other"}) not in body.split('id="main"')[1]
    assert "ask a space admin" in body


def test_an_org_admin_can_open_every_space_in_the_directory(world, client_as):
    response = client_as("org_admin").get(directory_url(world))
    assert all(can_open for _, can_open in response.context["spaces"])


def test_a_user_outside_the_organization_gets_404_on_its_directory(world, client):
    client.force_login(make_user("stranger"))
    assert client.get(directory_url(world)).status_code == 404


def test_the_directory_of_an_organization_without_spaces_says_so(world, client_as):
    from catalog.models import Organization, OrganizationMembership

    empty = Organization.objects.create(slug="empty", name="Empty Inc")
    OrganizationMembership.objects.create(user=world.viewer, organization=empty, role="member")
    response = client_as("viewer").get(reverse("catalog:space_directory", kwargs={"org_slug": "empty"}))
    assert response.status_code == 200
    assert "Empty Inc has no spaces yet" in response.content.decode()
    assert Space.objects.filter(organization=empty).count() == 0


# --- API tokens ---------------------------------------------------------------------------

def test_the_tokens_page_sends_an_anonymous_visitor_to_the_login_page(db, client):
    assert client.get(TOKENS_URL).status_code == 302
    response = client.post(TOKENS_URL, {"name": "ci", "scope": "read"})
    assert response.status_code == 302
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("username", ["viewer", "editor", "outsider", "org_member", "org_admin"])
def test_every_user_can_open_their_tokens_page(world, client_as, username):
    response = client_as(username).get(TOKENS_URL)
    assert response.status_code == 200
    assert "No tokens yet" in response.content.decode()


def test_creating_a_token_shows_the_secret_once_and_stores_only_its_hash(world, client_as):
    client = client_as("editor")
    response = client.post(TOKENS_URL, {"name": "CI pipeline", "scope": "write", "expires_at": ""})
    assert response.status_code == 200
    secret = response.context["secret"]
    token = ApiToken.objects.get(user=world.editor, name="CI pipeline")
    assert secret.startswith(f"qrn_{token.prefix}_")
    body = response.content.decode()
    assert secret in body
    assert "only time it is shown" in body
    assert response["Cache-Control"] == "no-store"
    _, raw = tokens.parse(secret)
    assert token.secret_sha256 == tokens.digest(raw)
    assert raw not in token.secret_sha256 and token.scope == "write" and token.expires_at is None
    # Never again: not on the next page load, not in the session.
    again = client.get(TOKENS_URL).content.decode()
    assert secret not in again and raw not in again
    assert "CI pipeline" in again
    assert all(raw not in str(value) for value in client.session.values())


def test_the_new_token_works_against_the_api(world, client_as):
    response = client_as("editor").post(TOKENS_URL, {"name": "ci", "scope": "read"})
    from rest_framework.test import APIRequestFactory

    from catalog.authentication import BearerTokenAuthentication

    request = APIRequestFactory().get("/api/v1.0/", HTTP_AUTHORIZATION=f"Bearer {response.context['secret']}")
    user, _ = BearerTokenAuthentication().authenticate(request)
    assert user == world.editor


def test_a_token_expiry_date_ends_at_the_end_of_that_day(world, client_as):
    day = timezone.now().date() + datetime.timedelta(days=30)
    client_as("editor").post(TOKENS_URL, {"name": "ci", "scope": "read", "expires_at": day.isoformat()})
    token = ApiToken.objects.get(name="ci")
    assert token.expires_at == datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min,
                                                         tzinfo=datetime.UTC)


@pytest.mark.parametrize("data, field, message", [
    ({"name": "", "scope": "read"}, "name", "This field is required."),
    ({"name": "ci", "scope": "admin"}, "scope", "Select a valid choice."),
    ({"name": "ci", "scope": "read", "expires_at": "2001-01-01"}, "expires_at", "The expiry must be in the future."),
    ({"name": "ci", "scope": "read", "expires_at": "soon"}, "expires_at", "Enter a valid date."),
])
def test_bad_token_input_rerenders_the_form_with_the_message(world, client_as, data, field, message):
    response = client_as("editor").post(TOKENS_URL, data)
    assert response.status_code == 200
    assert response.context["secret"] is None
    assert message in response.context["form"].errors[field][0]
    assert message in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_duplicate_token_name_rerenders_the_form(world, client_as):
    services.api_token_create(actor=world.editor, name="ci")
    response = client_as("editor").post(TOKENS_URL, {"name": "ci", "scope": "read"})
    assert response.status_code == 200
    assert "You already have a token named “ci”." in response.content.decode()
    assert ApiToken.objects.count() == 1


def test_the_tokens_page_lists_only_the_users_own_tokens(world, client_as):
    services.api_token_create(actor=world.viewer, name="viewer token")
    services.api_token_create(actor=world.editor, name="editor token")
    body = client_as("editor").get(TOKENS_URL).content.decode()
    assert "editor token" in body and "viewer token" not in body


def test_revoking_a_token_marks_it_revoked(world, client_as):
    token, _ = services.api_token_create(actor=world.editor, name="ci")
    client = client_as("editor")
    response = client.post(revoke_url(token), follow=True)
    assert response.redirect_chain == [(TOKENS_URL, 302)]
    token.refresh_from_db()
    assert token.revoked_at is not None
    body = response.content.decode()
    assert "Token “ci” revoked" in body
    assert "Revoked" in body
    assert revoke_url(token) not in body  # no revoke button for a revoked token
    assert client.post(revoke_url(token)).status_code == 302  # revoking twice is harmless


def test_revoking_another_users_token_is_404(world, client_as):
    token, _ = services.api_token_create(actor=world.viewer, name="mine")
    response = client_as("editor").post(revoke_url(token))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoking_needs_a_post(world, client_as):
    token, _ = services.api_token_create(actor=world.editor, name="ci")
    assert client_as("editor").get(revoke_url(token)).status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_token_forms_carry_csrf_protection(world, client):
    from django.test import Client

    services.api_token_create(actor=world.editor, name="ci")
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(world.editor)
    body = csrf_client.get(TOKENS_URL).content.decode()
    assert body.count('name="csrfmiddlewaretoken"') >= 3  # logout, create, revoke
    assert csrf_client.post(TOKENS_URL, {"name": "forged", "scope": "write"}).status_code == 403
    assert not ApiToken.objects.filter(name="forged").exists()


def test_an_expired_token_is_shown_as_expired(world, client_as):
    token, _ = services.api_token_create(actor=world.editor, name="old",
                                         expires_at=timezone.now() + datetime.timedelta(days=1))
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - datetime.timedelta(days=1))
    response = client_as("editor").get(TOKENS_URL)
    assert [status for _, status in response.context["tokens"]] == ["expired"]
