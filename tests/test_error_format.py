"""Every API answer is in the error format, also for what Django refuses before any view runs
(an oversized or unreadable body) and for addresses that match nothing; pages keep their HTML."""

import json

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db
API = "/api/v1.0/catalog/products"


def test_an_oversized_json_body_answers_413_in_the_error_format_and_writes_nothing(world, api_as):
    from modelrepo.models import ModelVersion

    body = '{"label": "' + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + '"}'
    response = api_as("editor").post(f"{API}/{world.record.pk}/model-versions", body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "request_too_large"
    assert f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes" in error["message"]
    assert not ModelVersion.objects.exists()


def test_a_request_django_cannot_read_answers_400_in_the_error_format(client):
    response = client.get("/api/v1.0/catalog/spaces/lab", HTTP_HOST="bad host name")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize("path", ["/api/v1.0/nothing-here", "/api/nothing", "/api/v1.0/catalog/products/x/nope"])
def test_an_unmatched_api_address_answers_404_in_the_error_format(api_as, path):
    response = api_as("viewer").get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_pages_keep_their_html_error_pages(client_as):
    response = client_as("viewer").get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    response = client_as("viewer").get("/no-such-page/", HTTP_HOST="bad host name")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("query, field", [
    ("size=abc", "size"), ("size=", "size"), ("size=0", "size"), ("size=101", "size"), ("size=-1", "size"),
    ("page=abc", "page"), ("page=", "page"), ("page=0", "page"), ("page=1.5", "page"),
])
def test_a_bad_page_or_size_answers_400_in_the_error_format(world, api_as, query, field):
    response = api_as("org_admin").get(f"/api/v1.0/catalog/spaces/{world.lab.slug}/model-repository/models?{query}")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error" and field in error["details"] and error["message"].startswith(field)


def test_a_page_past_the_end_answers_404_in_the_error_format_and_good_values_work(world, api_as):
    client = api_as("org_admin")
    base = f"/api/v1.0/catalog/spaces/{world.lab.slug}/model-repository/models"
    assert client.get(f"{base}?page=1&size=100").status_code == 200
    past = client.get(f"{base}?page=999&size=100")
    assert past.status_code == 404 and set(past.json()["error"]) == {"code", "message", "details"}


@pytest.mark.parametrize("debug", [False, True])
def test_an_unmatched_api_address_answers_404_in_the_error_format_whatever_debug_says(client, db, settings, debug):
    settings.DEBUG = debug
    response = client.get("/api/v1.0/no/such/thing")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")
    assert set(response.json()["error"]) == {"code", "message", "details"}
    assert client.get("/api/nothing-here").json()["error"]["code"] == "not_found"


def test_the_schema_and_docs_addresses_without_a_slash_still_redirect(client, db):
    assert client.get("/api/docs").status_code == 301
    assert client.get("/api/schema")["Location"].endswith("/api/schema/")


def test_an_unmatched_api_address_answers_404_even_to_a_browser_session_without_a_csrf_token(world, client_as):
    client = client_as("editor")
    client.handler.enforce_csrf_checks = True
    response = client.post("/api/v1.0/catalog/spaces/no-such-space/nothing", {}, content_type="application/json")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_a_refused_csrf_check_under_api_answers_in_the_error_format(rf):
    from qarion.handlers import csrf_failure

    response = csrf_failure(rf.post("/api/v1.0/anything"), reason="CSRF cookie not set.")
    assert response.status_code == 403
    error = json.loads(response.content)["error"]
    assert error["code"] == "csrf_failed" and "X-CSRFToken" in error["message"]
    assert csrf_failure(rf.post("/s/lab/"), reason="x")["Content-Type"].startswith("text/html")


def test_an_unknown_audit_export_format_is_400(world, api_as):
    response = api_as("org_admin").get("/api/v1.0/audit/events?export=xml")
    assert response.status_code == 400 and "export" in response.json()["error"]["details"]


@pytest.mark.parametrize("query, field", [("role=", "role"), ("role=all", "role"), ("status=maybe", "status")])
def test_an_unknown_access_request_filter_is_400_naming_it(world, api_as, query, field):
    response = api_as("editor").get(f"/api/v1.0/governance/access-requests?{query}")
    assert response.status_code == 400 and field in response.json()["error"]["details"]
