"""Shared fixtures: one organization with two spaces and a user for every role.

``world`` gives:
- org ``acme`` with spaces ``lab`` and ``other`` (same organization);
- users: ``viewer``, ``member``, ``editor``, ``space_admin`` (roles in ``lab``), ``outsider``
  (editor in ``other`` only), ``org_admin`` (organization admin, no space role), ``org_member``
  (organization member, no space role);
- ``record``: a model record in ``lab``; ``other_record``: one in ``other``.
"""

from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from catalog import services as catalog_services
from catalog.choices import OrganizationRole, SpaceRole
from catalog.models import Organization, OrganizationMembership, Product, Space, SpaceMembership
from modelrepo import services as modelrepo_services

PASSWORD = "correct-horse-battery"


@dataclass
class World:
    org: Organization
    lab: Space
    other: Space
    users: dict
    record: Product
    other_record: Product

    def __getattr__(self, name):
        users = self.__dict__.get("users", {})
        if name in users:
            return users[name]
        raise AttributeError(name)


def make_user(username, **extra):
    return get_user_model().objects.create_user(username=username, password=PASSWORD, email=f"{username}@example.com", **extra)


def make_record(*, actor, space, name, tags=None, **fields):
    return modelrepo_services.model_record_create(actor=actor, space=space, data={"name": name, **fields}, tags=tags)


@pytest.fixture
def world(db):
    org = Organization.objects.create(slug="acme", name="Acme")
    lab = Space.objects.create(organization=org, slug="lab", name="Lab")
    other = Space.objects.create(organization=org, slug="other", name="Other")
    users = {}
    for name, role in [("viewer", SpaceRole.VIEWER), ("member", SpaceRole.MEMBER), ("editor", SpaceRole.EDITOR),
                       ("space_admin", SpaceRole.ADMIN)]:
        users[name] = make_user(name)
        SpaceMembership.objects.create(user=users[name], space=lab, role=role)
    users["outsider"] = make_user("outsider")
    SpaceMembership.objects.create(user=users["outsider"], space=other, role=SpaceRole.EDITOR)
    users["org_admin"] = make_user("org_admin")
    users["org_member"] = make_user("org_member")
    for user in users.values():
        role = OrganizationRole.ORG_ADMIN if user.username == "org_admin" else OrganizationRole.MEMBER
        OrganizationMembership.objects.create(user=user, organization=org, role=role)
    record = make_record(actor=users["editor"], space=lab, name="Churn predictor", model_family="traditional_ml",
                         task_type="classification", tags=["churn"])
    other_record = make_record(actor=users["outsider"], space=other, name="Secret sauce", model_family="genai",
                               task_type="llm")
    return World(org=org, lab=lab, other=other, users=users, record=record, other_record=other_record)


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def api_as(world):
    """``api_as("editor")`` → an APIClient authenticated with a write token of that user."""
    def _client(username, scope="write"):
        client = APIClient()
        user = world.users[username]
        name = f"test-{scope}-{user.api_tokens.count() + 1}"
        _, secret = catalog_services.api_token_create(actor=user, name=name, scope=scope)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client
    return _client


@pytest.fixture
def client_as(client, world):
    """``client_as("viewer")`` → the Django test client logged in as that user."""
    def _client(username):
        client.force_login(world.users[username])
        return client
    return _client


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness only costs test time here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _isolated_file_storage(settings, tmp_path):
    """Artifact storage, upload staging and the release signing key in a per-test folder."""
    settings.QARION_UPLOAD_STAGING_DIR = tmp_path / "staging"
    settings.QARION_SIGNING_KEY_PATH = tmp_path / "signing-key.pem"
    storages = dict(settings.STORAGES)
    if storages["artifacts"]["BACKEND"].endswith("FileSystemStorage"):
        storages["artifacts"] = {**storages["artifacts"],
                                 "OPTIONS": {**storages["artifacts"]["OPTIONS"], "location": str(tmp_path / "artifacts")}}
    settings.STORAGES = storages
