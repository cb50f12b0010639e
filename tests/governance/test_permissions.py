"""Permission matrix over every governance page and endpoint: anonymous, a user of another
space, organization member and admin, each space role, and each product role held by a user
who is only a space viewer."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from catalog import collab
from catalog import services as catalog_services
from catalog.choices import SpaceRole
from catalog.models import ProductRole, SpaceMembership
from tests.conftest import make_user

ROLE_HOLDERS = ["owner", "steward", "custodian", "data_architect"]
EVERYONE = ["anonymous", "outsider", "org_member", "viewer", "member", "editor", "space_admin", "org_admin",
            *[f"{r}_viewer" for r in ROLE_HOLDERS]]


@pytest.fixture
def people(world):
    """``<role>_viewer``: a space viewer of lab holding that product role on the record."""
    for role in ROLE_HOLDERS:
        user = make_user(f"{role}_viewer")
        SpaceMembership.objects.create(user=user, space=world.lab, role=SpaceRole.VIEWER)
        ProductRole.objects.create(product=world.record, user=user, role=role)
        world.users[user.username] = user
    return world


def _api(world, who):
    client = APIClient()
    if who != "anonymous":
        user = world.users[who]
        _, secret = catalog_services.api_token_create(actor=user, name=f"perm-{user.api_tokens.count()}", scope="write")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def _web(client, world, who):
    if who != "anonymous":
        client.force_login(world.users[who])
    return client


def _expect(table, who):
    for key, users in table.items():
        if who in users:
            return key
    raise KeyError(who)


SPACE_AUDIT = {200: {"space_admin", "org_admin"}, 404: {"outsider", "org_member"},
               403: {"viewer", "member", "editor", *[f"{r}_viewer" for r in ROLE_HOLDERS]}}
ORG_AUDIT = {200: {"org_admin"},
             403: {"outsider", "org_member", "viewer", "member", "editor", "space_admin",
                   *[f"{r}_viewer" for r in ROLE_HOLDERS]}}


@pytest.mark.parametrize("who", EVERYONE)
def test_the_space_audit_page_and_its_api(people, client, who):
    world = people
    web = _web(client, world, who).get("/s/lab/audit/")
    api = _api(world, who).get("/api/v1.0/audit/events", {"space": "lab"})
    if who == "anonymous":
        assert web.status_code == 302 and api.status_code == 401
        return
    expected = _expect(SPACE_AUDIT, who)
    assert (web.status_code, api.status_code) == (expected, expected)
    if expected == 200:
        assert api.json()["count"] > 0 and all(e["space_slug"] == "lab" for e in api.json()["results"])


@pytest.mark.parametrize("who", EVERYONE)
def test_the_organization_audit_page_and_its_api(people, client, who):
    world = people
    web = _web(client, world, who).get("/o/acme/audit/")
    api = _api(world, who).get("/api/v1.0/audit/events", {"organization": "acme"})
    if who == "anonymous":
        assert web.status_code == 302 and api.status_code == 401
        return
    expected = _expect(ORG_AUDIT, who)
    assert (web.status_code, api.status_code) == (expected, expected)


@pytest.mark.parametrize("who, sees", [("viewer", set()), ("space_admin", {"lab"}), ("org_admin", {"lab", "other"})])
def test_the_unscoped_audit_api_shows_only_what_the_caller_administers(people, who, sees):
    body = _api(people, who).get("/api/v1.0/audit/events", {"size": 100}).json()
    assert {e["space_slug"] for e in body["results"] if e["space_slug"]} == sees


ASSIGN = {201: {"space_admin", "org_admin", "owner_viewer"}, 404: {"outsider", "org_member"},
          403: {"viewer", "member", "editor", "steward_viewer", "custodian_viewer", "data_architect_viewer"}}


@pytest.mark.parametrize("who", EVERYONE)
def test_assigning_and_removing_product_roles(people, client, who):
    world = people
    url = f"/api/v1.0/catalog/products/{world.record.pk}/roles"
    listed = _api(world, who).get(url)
    created = _api(world, who).post(url, {"username": "member", "role": "steward"}, format="json")
    web = _web(client, world, who).post(f"/models/{world.record.pk}/governance/roles/add/",
                                        {"username": "member", "role": "custodian"})
    if who == "anonymous":
        assert (listed.status_code, created.status_code, web.status_code) == (401, 401, 302)
        return
    expected = _expect(ASSIGN, who)
    assert listed.status_code == (404 if expected == 404 else 200)
    assert created.status_code == expected
    assert web.status_code == {201: 302, 403: 403, 404: 404}[expected]
    existing = ProductRole.objects.get(product=world.record, user=world.steward_viewer)
    removed = _api(world, who).delete(f"{url}/{existing.pk}")
    assert removed.status_code == {201: 204, 403: 403, 404: 404}[expected]


COMMENT = {201: {"member", "editor", "space_admin", "org_admin", *[f"{r}_viewer" for r in ROLE_HOLDERS]},
           403: {"viewer"}, 404: {"outsider", "org_member"}}


@pytest.mark.parametrize("who", EVERYONE)
def test_commenting(people, client, who):
    world = people
    url = f"/api/v1.0/catalog/products/{world.record.pk}/comments"
    api = _api(world, who).post(url, {"body": "hello"}, format="json")
    web = _web(client, world, who).post(f"/models/{world.record.pk}/governance/comments/add/", {"body": "hi"})
    if who == "anonymous":
        assert (api.status_code, web.status_code) == (401, 302)
        return
    expected = _expect(COMMENT, who)
    assert api.status_code == expected
    assert web.status_code == {201: 302, 403: 403, 404: 404}[expected]
    assert _api(world, who).get(url).status_code == (404 if expected == 404 else 200)


ATTACH = {201: {"editor", "space_admin", "org_admin", "owner_viewer", "steward_viewer", "custodian_viewer"},
          403: {"viewer", "member", "data_architect_viewer"}, 404: {"outsider", "org_member"}}


@pytest.mark.parametrize("who", EVERYONE)
def test_attaching_downloading_and_deleting(people, client, who):
    world = people
    url = f"/api/v1.0/catalog/products/{world.record.pk}/attachments"
    existing = collab.attachment_upload(actor=world.editor, product=world.record,
                                        uploaded_file=SimpleUploadedFile("a.txt", b"abc"))
    api = _api(world, who).post(url, {"file": SimpleUploadedFile("b.txt", b"def")}, format="multipart")
    download = _api(world, who).get(f"{url}/{existing.pk}/download")
    web_download = _web(client, world, who).get(f"/models/{world.record.pk}/governance/attachments/{existing.pk}/")
    delete = _api(world, who).delete(f"{url}/{existing.pk}")
    if who == "anonymous":
        assert (api.status_code, download.status_code, web_download.status_code, delete.status_code) == (401, 401, 302, 401)
        return
    expected = _expect(ATTACH, who)
    assert api.status_code == expected
    assert download.status_code == web_download.status_code == (404 if expected == 404 else 200)
    # The uploader (editor) deletes their own; someone else's: space admins and org admins only.
    assert delete.status_code == (204 if who in ("editor", "space_admin", "org_admin") else 404 if expected == 404 else 403)
