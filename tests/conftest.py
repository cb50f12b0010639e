"""Shared fixtures: one organization with two spaces and a user for every role.

``world`` gives:
- org ``acme`` with spaces ``lab`` and ``other`` (same organization);
- users: ``viewer``, ``member``, ``editor``, ``space_admin`` (roles in ``lab``), ``outsider``
  (editor in ``other`` only), ``org_admin`` (organization admin, no space role), ``org_member``
  (organization member, no space role);
- ``record``: a model record in ``lab``; ``other_record``: one in ``other``.
"""

import uuid
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


# --- object storage: moto's S3 server on loopback, through django-storages and boto3 ----------

@pytest.fixture(scope="session")
def s3_endpoint():
    server_module = pytest.importorskip("moto.server")
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


S3_CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test", "region_name": "us-east-1"}


@pytest.fixture
def s3_bucket(s3_endpoint):
    """A fresh bucket on the loopback S3 server and a boto3 client to look into it."""
    import boto3

    name = f"artifacts-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, **S3_CREDENTIALS)
    client.create_bucket(Bucket=name)
    return name, client


@pytest.fixture
def s3_store(s3_endpoint, s3_bucket, settings):
    """Artifact storage on a fresh bucket of the loopback S3 server, as QARION_STORAGE=s3 configures it."""
    from modelrepo import storage

    settings.QARION_STORAGE = "s3"
    settings.STORAGES = {**settings.STORAGES, "artifacts": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": s3_bucket[0], "endpoint_url": s3_endpoint, "region_name": "us-east-1", "access_key": "test",
        "secret_key": "test", "querystring_expire": 300, "file_overwrite": False, "default_acl": None,
        "signature_version": "s3v4", "addressing_style": "path"}}}
    store = storage.artifact_store()
    assert isinstance(store, storage.ObjectStore)
    return store


@pytest.fixture
def local_storage(settings, tmp_path):
    """Local artifact storage under the test's folder, whatever QARION_STORAGE the shape sets:
    for the tests of how local files are staged, moved, fsynced and served."""
    settings.QARION_STORAGE = "local"
    settings.STORAGES = {**settings.STORAGES, "artifacts": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "artifacts"), "file_permissions_mode": 0o640,
                    "directory_permissions_mode": 0o750}}}


@pytest.fixture(scope="session", autouse=True)
def _static_files_as_deployed():
    """With hashed static file names (the manifest, on in the production shape), the live
    server hands /static/ to whitenoise as a deployed server does: the development static
    handler only knows the source names and would answer 404 for the hashed ones."""
    from django.conf import settings
    from django.contrib.staticfiles.handlers import StaticFilesHandler

    if not settings.STORAGES["staticfiles"]["BACKEND"].endswith("ManifestStaticFilesStorage"):
        yield
        return
    original = StaticFilesHandler._should_handle
    StaticFilesHandler._should_handle = lambda self, path: False
    yield
    StaticFilesHandler._should_handle = original
