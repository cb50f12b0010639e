"""HTML pages, static files and /health/ on every web node: DEBUG off, hashed static names
from the manifest that collectstatic wrote, error pages rendered by templates (never a 500),
and a browser session made on one node valid on the other."""

import re
import secrets
from urllib.parse import urlsplit

import pytest

from tests.production.conftest import API, _httpx_client

HASHED_STATIC = re.compile(r"""(?:href|src)=["'](/static/[^"'?#]+)["']""")
HASHED_NAME = re.compile(r"\.[0-9a-f]{12}\.[A-Za-z0-9]+$")


@pytest.fixture
def anonymous():
    client = _httpx_client(follow_redirects=False)
    yield client
    client.close()


def static_references(page: str) -> list[str]:
    return sorted(set(HASHED_STATIC.findall(page)))


def assert_hashed_static(page: str, where: str) -> list[str]:
    references = static_references(page)
    assert references, f"{where} references no static file"
    unhashed = [r for r in references if not HASHED_NAME.search(r)]
    assert not unhashed, f"{where} references static files without a hashed name (no manifest?): {unhashed}"
    return references


def test_health_is_ok_with_object_storage_on_every_node(production, anonymous):
    for node in production.nodes:
        response = anonymous.get(f"{node}/health/")
        assert response.status_code == 200, f"{node}/health/ answered {response.status_code}: {response.text}"
        checks = response.json()["checks"]
        assert response.json()["status"] == "ok", checks
        assert checks["storage"] == {"status": "ok", "backend": "s3"}, checks
        assert checks["database"]["status"] == "ok" and checks["broker"]["status"] == "ok", checks
        assert checks["workers"]["status"] == "ok", checks


def test_anonymous_pages_render_with_hashed_static_files_on_every_node(production, anonymous):
    seen = {}
    for node in production.nodes:
        home = anonymous.get(f"{node}/")
        assert home.status_code == 302 and urlsplit(home.headers["Location"]).path == "/accounts/login/", (
            f"{node}/ answered {home.status_code} {home.headers.get('Location')}")

        login = anonymous.get(f"{node}/accounts/login/?next=/")
        assert login.status_code == 200, f"{node} login page: {login.status_code}"
        assert "text/html" in login.headers["Content-Type"]
        references = assert_hashed_static(login.text, f"{node}'s login page")
        seen.setdefault("login", references)
        assert references == seen["login"], "the nodes reference different static files (different manifests)"

        missing = anonymous.get(f"{node}/no-such-page-{secrets.token_hex(4)}/")
        assert missing.status_code == 404, f"{node}: an unknown page answered {missing.status_code}"
        assert "text/html" in missing.headers["Content-Type"]
        assert_hashed_static(missing.text, f"{node}'s 404 page")
        assert "Traceback" not in missing.text and "DEBUG = True" not in missing.text


def test_hashed_static_files_are_served_by_every_node_as_immutable(production, anonymous):
    page = anonymous.get(f"{production.nodes[0]}/accounts/login/")
    references = assert_hashed_static(page.text, "the login page")
    for reference in references:
        bodies = []
        for node in production.nodes:
            response = anonymous.get(f"{node}{reference}")
            assert response.status_code == 200, f"{node}{reference} answered {response.status_code}"
            assert "immutable" in response.headers.get("Cache-Control", ""), (
                f"{node}{reference}: Cache-Control {response.headers.get('Cache-Control')!r}")
            bodies.append(response.content)
        assert all(body == bodies[0] for body in bodies), f"the nodes serve different bytes for {reference}"


def test_a_session_made_on_one_node_serves_pages_on_every_node(production, browser, api, place, record):
    """The browser logged in on node 1; the pages a user opens answer 200 on every node."""
    pages = [
        "/", f"/o/{place.organization}/models/", f"/s/{place.space}/models/", f"/models/{record}/",
        *(f"/models/{record}/{tab}/" for tab in ("versions", "artifacts", "governance", "lineage", "activity")),
        f"/o/{place.organization}/spaces/", "/settings/tokens/", "/admin/",
    ]
    for node in production.nodes:
        for path in pages:
            response = browser.get(f"{node}{path}", follow_redirects=True)
            assert response.status_code == 200, f"{node}{path} answered {response.status_code}: {response.text[:500]}"
            assert urlsplit(str(response.url)).path != "/accounts/login/", f"{node}{path}: the session is not known"
            assert_hashed_static(response.text, f"{node}{path}")
        missing = browser.get(f"{node}/models/{secrets.token_hex(4)}-0000-0000-0000-000000000000/")
        assert missing.status_code == 404, f"{node}: an unknown record answered {missing.status_code}"
    unknown = f"{secrets.token_hex(4)}-0000-0000-0000-000000000000"
    for client in api:
        missing = client.get(f"{API}/catalog/products/{unknown}/model-repository")
        assert missing.status_code == 404, f"{client.base_url}: {missing.status_code} {missing.text[:500]}"
        assert missing.json()["error"]["code"], missing.text
