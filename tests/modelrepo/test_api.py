"""The model record API: /catalog/spaces/{slug}/model-repository/models,
/organizations/{slug}/model-repository/models and /catalog/products/{id}/model-repository."""

import uuid
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from catalog.models import ApiToken, Product, Tag
from modelrepo.models import ModelDetails
from modelrepo.services import DETAIL_FIELDS, PRODUCT_FIELDS
from tests.conftest import make_record, make_user

SPACE_LIST = "/api/v1.0/catalog/spaces/{}/model-repository/models"
ORG_LIST = "/api/v1.0/organizations/{}/model-repository/models"
RECORD = "/api/v1.0/catalog/products/{}/model-repository"


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


def record_url(record):
    return RECORD.format(record.pk)


def names(response):
    return sorted(r["name"] for r in response.json()["results"])


@pytest.fixture
def client_for(world, api_as):
    """``client_for(None)`` is anonymous; otherwise a write-token client of that user."""
    def _client(username):
        return APIClient() if username is None else api_as(username)
    return _client


# --- Access: every endpoint, every role ------------------------------------------------

READERS = ["viewer", "member", "editor", "space_admin", "org_admin"]
WRITERS = ["editor", "space_admin", "org_admin"]


@pytest.mark.parametrize("username, status", [
    (None, 401), ("outsider", 404), ("org_member", 404), *[(u, 200) for u in READERS],
])
def test_space_list_access(client_for, username, status):
    response = client_for(username).get(SPACE_LIST.format("lab"))
    if status == 200:
        assert response.status_code == 200
        assert names(response) == ["Churn predictor"]
    else:
        assert_error(response, status)


@pytest.mark.parametrize("username, status", [
    (None, 401), ("outsider", 404), ("org_member", 404), ("viewer", 403), ("member", 403),
    *[(u, 201) for u in WRITERS],
])
def test_space_create_access(world, client_for, username, status):
    before = Product.objects.count()
    response = client_for(username).post(SPACE_LIST.format("lab"), {"name": "Fraud scorer"}, format="json")
    if status == 201:
        assert response.status_code == 201, response.content
        assert Product.objects.count() == before + 1
    else:
        assert_error(response, status)
        assert Product.objects.count() == before


@pytest.mark.parametrize("username, status", [
    (None, 401), ("outsider", 404), ("org_member", 404), *[(u, 200) for u in READERS],
])
def test_record_read_access(world, client_for, username, status):
    response = client_for(username).get(record_url(world.record))
    if status == 200:
        assert response.status_code == 200
        assert response.json()["id"] == str(world.record.pk)
    else:
        assert_error(response, status)


@pytest.mark.parametrize("username, status", [
    (None, 401), ("outsider", 404), ("org_member", 404), ("viewer", 403), ("member", 403),
    *[(u, 200) for u in WRITERS],
])
def test_record_update_access(world, client_for, username, status):
    response = client_for(username).patch(record_url(world.record), {"framework": "xgboost"}, format="json")
    world.record.model_details.refresh_from_db()
    if status == 200:
        assert response.status_code == 200, response.content
        assert world.record.model_details.framework == "xgboost"
    else:
        assert_error(response, status)
        assert world.record.model_details.framework == ""


def test_a_viewer_gets_403_on_a_write_even_with_an_invalid_body(world, api_as):
    response = api_as("viewer").post(SPACE_LIST.format("lab"), {"name": ""}, format="json")
    assert_error(response, 403, code="permission_denied")


def test_anonymous_requests_get_401_with_a_bearer_challenge(world, api_client):
    for response in (
        api_client.get(SPACE_LIST.format("lab")),
        api_client.post(SPACE_LIST.format("lab"), {"name": "X"}, format="json"),
        api_client.get(ORG_LIST.format("acme")),
        api_client.get(record_url(world.record)),
        api_client.patch(record_url(world.record), {"name": "X"}, format="json"),
    ):
        assert_error(response, 401, code="not_authenticated")
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_read_scope_token_reads_but_cannot_write(world, api_as):
    client = api_as("editor", scope="read")
    assert client.get(SPACE_LIST.format("lab")).status_code == 200
    assert client.get(record_url(world.record)).status_code == 200
    assert_error(client.post(SPACE_LIST.format("lab"), {"name": "X"}, format="json"), 403, code="permission_denied")
    assert_error(client.patch(record_url(world.record), {"name": "X"}, format="json"), 403, code="permission_denied")
    assert not Product.objects.filter(name="X").exists()


@pytest.mark.parametrize("change", [{"revoked_at": timezone.now}, {"expires_at": lambda: timezone.now() - timedelta(seconds=1)}])
def test_revoked_and_expired_tokens_get_401(world, api_as, change):
    client = api_as("editor")
    ApiToken.objects.filter(user=world.editor).update(**{k: v() for k, v in change.items()})
    for response in (client.get(SPACE_LIST.format("lab")), client.get(record_url(world.record)),
                     client.patch(record_url(world.record), {"framework": "x"}, format="json")):
        error = assert_error(response, 401, code="authentication_failed")
        assert "create a new one" in error["message"]


def test_a_session_user_reads_and_writes_with_the_csrf_token(world):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.editor)
    assert client.get(SPACE_LIST.format("lab")).status_code == 200
    assert_error(client.post(SPACE_LIST.format("lab"), {"name": "No csrf"}, format="json"), 403)
    assert not Product.objects.filter(name="No csrf").exists()


@pytest.mark.parametrize("username, expected", [
    ("viewer", ["Churn predictor"]),
    ("outsider", ["Secret sauce"]),
    ("org_member", []),
    ("org_admin", ["Churn predictor", "Secret sauce"]),
])
def test_organization_list_shows_only_spaces_the_caller_can_view(world, api_as, username, expected):
    response = api_as(username).get(ORG_LIST.format("acme"))
    assert response.status_code == 200
    assert names(response) == expected


def test_organization_list_ignores_a_space_filter_naming_a_space_the_caller_cannot_view(world, api_as):
    response = api_as("viewer").get(ORG_LIST.format("acme"), {"space": "other"})
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_organization_list_is_404_for_a_non_member_and_an_unknown_organization(world, api_as, api_client):
    stranger = make_user("stranger")
    api_client.force_authenticate(stranger)
    assert_error(api_client.get(ORG_LIST.format("acme")), 404, code="not_found")
    assert_error(api_as("viewer").get(ORG_LIST.format("nowhere")), 404, code="not_found")


@pytest.mark.parametrize("product_id", ["not-a-uuid", "12345", str(uuid.uuid4()), "%00"])
def test_a_malformed_or_unknown_record_id_is_404(world, api_as, product_id):
    client = api_as("editor")
    assert_error(client.get(RECORD.format(product_id)), 404, code="not_found")
    assert_error(client.patch(RECORD.format(product_id), {"name": "X"}, format="json"), 404, code="not_found")


def test_an_unknown_space_is_404(world, api_as):
    client = api_as("org_admin")
    assert_error(client.get(SPACE_LIST.format("nowhere")), 404, code="not_found")
    assert_error(client.post(SPACE_LIST.format("nowhere"), {"name": "X"}, format="json"), 404, code="not_found")


def test_a_data_product_is_not_a_model_record(world, api_as):
    from catalog import services as catalog_services

    dataset = catalog_services.product_create(actor=world.editor, space=world.lab,
                                              data={"name": "Customers", "product_type": "dataset"})
    client = api_as("editor")
    assert_error(client.get(record_url(dataset)), 404)
    assert names(client.get(SPACE_LIST.format("lab"))) == ["Churn predictor"]


def test_unsupported_methods_answer_405_in_the_error_format(world, api_as):
    client = api_as("editor")
    assert_error(client.put(record_url(world.record), {"name": "X"}, format="json"), 405, code="method_not_allowed")
    assert_error(client.delete(SPACE_LIST.format("lab")), 405, code="method_not_allowed")


# --- Representation ---------------------------------------------------------------------

def test_a_record_is_one_flat_object_with_every_field(world, api_as):
    body = api_as("viewer").get(record_url(world.record)).json()
    expected = {"id", "space", "organization", "tags", "created_at", "updated_at", "summary",
                *PRODUCT_FIELDS, *DETAIL_FIELDS}
    assert set(body) == expected
    assert body["space"] == "lab"
    assert body["organization"] == "acme"
    assert body["tags"] == ["churn"]
    assert body["model_family"] == "traditional_ml"
    assert body["task_type"] == "classification"
    assert body["summary"] == {"version_count": 0, "current_version": None, "current_artifact": None}
    assert body["created_at"].endswith("Z")


def test_list_items_have_the_same_shape_as_the_record(world, api_as):
    client = api_as("viewer")
    item = client.get(SPACE_LIST.format("lab")).json()["results"][0]
    assert item == client.get(record_url(world.record)).json()


def test_a_record_without_saved_details_shows_the_defaults(world, api_as):
    ModelDetails.objects.filter(product=world.record).delete()
    body = api_as("viewer").get(record_url(world.record)).json()
    assert body["model_family"] == "traditional_ml"
    assert body["risk_classification"] == "unclassified"


def test_the_summary_shows_the_version_count_current_version_and_current_artifact(world, api_as):
    from modelrepo.models import Artifact, ModelVersion

    ModelVersion.objects.create(product=world.record, label="1.0.0")
    current = ModelVersion.objects.create(product=world.record, label="1.1.0", kind="minor")
    ModelDetails.objects.filter(product=world.record).update(current_version=current)
    artifact = Artifact.objects.create(
        product=world.record, version=current, file_name="model.safetensors", size_bytes=1234, sha256="a" * 64,
        kind="weights", upload_status="completed", detected_format="safetensors", is_current=True,
    )
    Artifact.objects.create(product=world.record, file_name="old.bin", size_bytes=1, sha256="b" * 64,
                            upload_status="completed", deleted_at=timezone.now())
    client = api_as("viewer")
    summary = client.get(record_url(world.record)).json()["summary"]
    assert summary == {
        "version_count": 2,
        "current_version": {"id": str(current.pk), "label": "1.1.0", "kind": "minor", "status": "draft",
                            "deprecated": False, "yanked": False},
        "current_artifact": {
            "id": str(artifact.pk), "file_name": "model.safetensors", "kind": "weights",
            "content_type": "application/octet-stream", "detected_format": "safetensors", "sha256": "a" * 64,
            "size_bytes": 1234,
        },
    }
    assert client.get(SPACE_LIST.format("lab")).json()["results"][0]["summary"] == summary
    assert client.get(ORG_LIST.format("acme")).json()["results"][0]["summary"] == summary


# --- Create -----------------------------------------------------------------------------

def test_create_takes_product_and_details_fields_side_by_side(world, api_as):
    payload = {
        "name": "Support assistant", "product_type": "llm_agent", "description": "Answers tickets.",
        "criticality": "high", "model_family": "genai", "task_type": "llm", "framework": "vllm",
        "serving_url": "https://models.example.com/support", "risk_classification": "limited",
        "is_gpai": True, "gpai_tier": "systemic_risk", "training_compute_flops": 3e25,
        "input_schema": {"type": "object", "properties": {"question": {"type": "string"}}},
        "tags": ["Support", "llm", "support"],
    }
    response = api_as("editor").post(SPACE_LIST.format("lab"), payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    product = Product.objects.get(pk=body["id"])
    assert response["Location"] == record_url(product)
    assert body["slug"] == "support-assistant"
    assert body["tags"] == ["llm", "support"]
    assert body["training_compute_flops"] == 3e25
    assert product.created_by == world.editor
    assert product.model_details.gpai_tier == "systemic_risk"
    assert product.model_details.input_schema == payload["input_schema"]
    for field in ("product_type", "criticality", "model_family", "serving_url", "is_gpai"):
        assert body[field] == payload[field]


def test_create_defaults_the_product_type_and_derives_a_free_slug(world, api_as):
    client = api_as("editor")
    first = client.post(SPACE_LIST.format("lab"), {"name": "Ranker"}, format="json").json()
    client.patch(record_url(Product.objects.get(pk=first["id"])), {"name": "Ranker v1"}, format="json")
    second = client.post(SPACE_LIST.format("lab"), {"name": "Ranker"}, format="json").json()
    assert first["product_type"] == "ml_model"
    assert first["slug"] == "ranker"
    assert second["slug"] == "ranker-2"


def test_create_is_audited_once(world, api_as):
    from catalog.models import AuditEvent

    before = AuditEvent.objects.filter(action="model_record.created").count()
    api_as("editor").post(SPACE_LIST.format("lab"), {"name": "Audited"}, format="json")
    assert AuditEvent.objects.filter(action="model_record.created").count() == before + 1


def _deep(levels):
    value = {"leaf": 1}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


BAD_CREATE_BODIES = [
    ({}, "name"),
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": None}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"name": "Bad\u0000name"}, "name"),
    ({"name": "X", "slug": "Not A Slug"}, "slug"),
    ({"name": "X", "slug": "s" * 101}, "slug"),
    ({"name": "X", "product_type": "dataset"}, "product_type"),
    ({"name": "X", "product_type": "bogus"}, "product_type"),
    ({"name": "X", "model_family": "bogus"}, "model_family"),
    ({"name": "X", "task_type": ["llm"]}, "task_type"),
    ({"name": "X", "deployment_status": "live"}, "deployment_status"),
    ({"name": "X", "risk_classification": "HIGH"}, "risk_classification"),
    ({"name": "X", "criticality": "extreme"}, "criticality"),
    ({"name": "X", "description": None}, "description"),
    ({"name": "X", "architecture": "a" * 201}, "architecture"),
    ({"name": "X", "serving_url": "not a url"}, "serving_url"),
    ({"name": "X", "copyright_policy_url": "javascript:alert(1)"}, "copyright_policy_url"),
    ({"name": "X", "serving_url": "https://example.com/" + "a" * 500}, "serving_url"),
    ({"name": "X", "training_compute_flops": -1}, "training_compute_flops"),
    ({"name": "X", "training_compute_flops": "lots"}, "training_compute_flops"),
    ({"name": "X", "training_compute_flops": 10**400}, "training_compute_flops"),
    ({"name": "X", "is_gpai": "maybe"}, "is_gpai"),
    ({"name": "X", "gpai_tier": "standard"}, "gpai_tier"),
    ({"name": "X", "input_schema": [1, 2]}, "input_schema"),
    ({"name": "X", "output_schema": "text"}, "output_schema"),
    ({"name": "X", "input_schema": _deep(200)}, "input_schema"),
    ({"name": "X", "input_schema": {"a": "nul\u0000"}}, "input_schema"),
    ({"name": "X", "tags": "a,b"}, "tags"),
    ({"name": "X", "tags": [None]}, "tags"),
    ({"name": "X", "tags": ["t" * 65]}, "tags"),
    ({"name": "X", "tags": [f"t{i}" for i in range(51)]}, "tags"),
    ({"name": "X", "colour": "blue"}, "colour"),
    ({"name": "X", "id": str(uuid.uuid4())}, "id"),
    ({"name": "X", "summary": {}}, "summary"),
    ({"name": "X", "space": "other"}, "space"),
]


@pytest.mark.parametrize("payload, field", BAD_CREATE_BODIES,
                         ids=[f"{field}-{i}" for i, (_, field) in enumerate(BAD_CREATE_BODIES)])
def test_create_refuses_invalid_input_naming_the_field_and_writes_nothing(world, api_as, payload, field):
    before = Product.objects.count(), ModelDetails.objects.count(), Tag.objects.count()
    response = api_as("editor").post(SPACE_LIST.format("lab"), payload, format="json")
    assert_error(response, 400, field=field)
    assert (Product.objects.count(), ModelDetails.objects.count(), Tag.objects.count()) == before


def test_create_names_every_unknown_field(world, api_as):
    response = api_as("editor").post(SPACE_LIST.format("lab"), {"name": "X", "colour": 1, "size": 2}, format="json")
    error = assert_error(response, 400, code="validation_error")
    assert set(error["details"]) == {"colour", "size"}


def test_create_refuses_a_duplicate_name_in_any_case(world, api_as):
    response = api_as("editor").post(SPACE_LIST.format("lab"), {"name": "CHURN Predictor"}, format="json")
    error = assert_error(response, 400, code="duplicate", field="name")
    assert "already exists" in error["message"]
    assert Product.objects.filter(space=world.lab).count() == 1


def test_create_refuses_a_taken_slug(world, api_as):
    response = api_as("editor").post(SPACE_LIST.format("lab"), {"name": "Other", "slug": "churn-predictor"},
                                     format="json")
    assert_error(response, 400, code="duplicate", field="slug")


def test_the_same_name_is_fine_in_another_space(world, api_as):
    response = api_as("outsider").post(SPACE_LIST.format("other"), {"name": "Churn predictor"}, format="json")
    assert response.status_code == 201


def test_create_past_the_space_limit_is_refused_naming_the_limit(world, api_as):
    world.lab.catalog_product_limit = 1
    world.lab.save()
    response = api_as("editor").post(SPACE_LIST.format("lab"), {"name": "One too many"}, format="json")
    error = assert_error(response, 400, code="product_limit_reached")
    assert "limit of 1" in error["message"]
    assert error["details"]["catalog_product_limit"] == 1
    assert not Product.objects.filter(name="One too many").exists()


def test_an_archived_record_may_be_created_at_the_limit(world, api_as):
    world.lab.catalog_product_limit = 1
    world.lab.save()
    response = api_as("editor").post(SPACE_LIST.format("lab"), {"name": "Old", "is_archived": True}, format="json")
    assert response.status_code == 201


@pytest.mark.parametrize("body", [
    '{"name": ', "{'name': 'x'}", "", b"\xff\xfe", '{"name": "X", "training_compute_flops": Infinity}',
    '{"name": "X", "training_compute_flops": NaN}', "[" * 5000 + "]" * 5000,
], ids=["truncated", "single-quotes", "empty", "not-utf8", "infinity", "nan", "nested-too-deeply"])
def test_malformed_json_is_400(world, api_as, body):
    response = api_as("editor").post(SPACE_LIST.format("lab"), body, content_type="application/json")
    if body == "":
        assert_error(response, 400, field="name")  # an empty body is an empty object: name is missing
    else:
        error = assert_error(response, 400, code="malformed_request")
        assert "JSON" in error["message"]


@pytest.mark.parametrize("body", ["[1, 2]", '"name"', "42", "null", "true", '[{"name": "X"}]'])
def test_a_json_body_that_is_not_an_object_is_400(world, api_as, body):
    before = Product.objects.count()
    response = api_as("editor").post(SPACE_LIST.format("lab"), body, content_type="application/json")
    error = assert_error(response, 400, code="validation_error")
    assert "JSON object" in error["message"]
    assert Product.objects.count() == before


def test_a_form_encoded_body_is_415(world, api_as):
    response = api_as("editor").post(SPACE_LIST.format("lab"), {"name": "X"})
    assert_error(response, 415, code="unsupported_media_type")


# --- Update -----------------------------------------------------------------------------

def test_patch_changes_only_the_fields_sent(world, api_as):
    response = api_as("editor").patch(
        record_url(world.record), {"description": "Predicts churn.", "deployment_status": "staging"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["description"] == "Predicts churn."
    assert body["deployment_status"] == "staging"
    assert body["task_type"] == "classification"
    assert body["tags"] == ["churn"]
    world.record.refresh_from_db()
    assert world.record.description == "Predicts churn."


def test_patch_replaces_tags_when_sent(world, api_as):
    client = api_as("editor")
    assert client.patch(record_url(world.record), {"tags": ["retention", "b2c"]}, format="json").json()["tags"] == [
        "b2c", "retention"]
    assert client.patch(record_url(world.record), {"tags": []}, format="json").json()["tags"] == []


def test_patch_moves_updated_at_for_a_details_only_change(world, api_as):
    before = world.record.updated_at
    body = api_as("editor").patch(record_url(world.record), {"limitations": "English only."}, format="json").json()
    assert datetime.fromisoformat(body["updated_at"]) > before


def test_an_empty_patch_changes_nothing(world, api_as):
    from catalog.models import AuditEvent

    before = api_as("viewer").get(record_url(world.record)).json()
    events = AuditEvent.objects.filter(action="model_record.updated").count()
    response = api_as("editor").patch(record_url(world.record), {}, format="json")
    assert response.status_code == 200
    after = response.json()
    # updated_at is the service's to keep or move; every field a client sent is unchanged.
    assert {k: v for k, v in after.items() if k != "updated_at"} == {k: v for k, v in before.items() if k != "updated_at"}
    assert AuditEvent.objects.filter(action="model_record.updated").count() == events


@pytest.mark.parametrize("payload, field", [
    ({"name": ""}, "name"),
    ({"name": None}, "name"),
    ({"model_family": "bogus"}, "model_family"),
    ({"product_type": "table"}, "product_type"),
    ({"input_schema": [1]}, "input_schema"),
    ({"serving_url": "ftp//nope"}, "serving_url"),
    ({"gpai_tier": "standard"}, "gpai_tier"),
    ({"id": str(uuid.uuid4())}, "id"),
    ({"created_at": "2020-01-01T00:00:00Z"}, "created_at"),
    ({"bogus": 1}, "bogus"),
])
def test_patch_refuses_invalid_input_and_leaves_the_record_as_it_was(world, api_as, payload, field):
    client = api_as("editor")
    before = client.get(record_url(world.record)).json()
    response = client.patch(record_url(world.record), payload, format="json")
    assert_error(response, 400, field=field)
    assert client.get(record_url(world.record)).json() == before


def test_patch_accepts_a_name_used_in_another_space(world, api_as):
    response = api_as("editor").patch(record_url(world.record), {"name": "SECRET SAUCE"}, format="json")
    assert response.status_code == 200


def test_patch_refuses_a_name_taken_in_the_same_space(world, api_as):
    make_record(actor=world.editor, space=world.lab, name="Upsell model")
    response = api_as("editor").patch(record_url(world.record), {"name": "upsell MODEL"}, format="json")
    assert_error(response, 400, code="duplicate", field="name")
    world.record.refresh_from_db()
    assert world.record.name == "Churn predictor"


@pytest.mark.parametrize("body", ['{"name": ', "[1]", "null"])
def test_patch_with_a_malformed_or_non_object_body_is_400(world, api_as, body):
    response = api_as("editor").patch(record_url(world.record), body, content_type="application/json")
    assert_error(response, 400)


# --- Filters ----------------------------------------------------------------------------

@pytest.fixture
def catalogue(world):
    make = lambda name, **kw: make_record(actor=world.editor, space=world.lab, name=name, **kw)  # noqa: E731
    make("Embedder", model_family="embedding_model", task_type="embedding", tags=["search", "nlp"],
         lifecycle_stage="deployment", deployment_status="production")
    make("Chat assistant", model_family="genai", task_type="llm", tags=["nlp"], risk_classification="limited",
         product_type="llm_agent", architecture="transformer")
    make("Old forecaster", model_family="traditional_ml", task_type="forecasting", is_archived=True)
    make("Foundation", model_family="foundation_model", task_type="llm", risk_classification="high")
    return world


@pytest.mark.parametrize("params, expected", [
    ({}, ["Chat assistant", "Churn predictor", "Embedder", "Foundation"]),
    ({"model_family": "genai,foundation_model"}, ["Chat assistant", "Foundation"]),
    ({"model_family": "genai, embedding_model"}, ["Chat assistant", "Embedder"]),
    ({"task_type": "llm"}, ["Chat assistant", "Foundation"]),
    ({"product_type": "llm_agent"}, ["Chat assistant"]),
    ({"deployment_status": "production"}, ["Embedder"]),
    ({"risk_classification": "high,limited"}, ["Chat assistant", "Foundation"]),
    ({"lifecycle_stage": "deployment"}, ["Embedder"]),
    ({"tag": "nlp"}, ["Chat assistant", "Embedder"]),
    ({"tag": "search,churn"}, ["Churn predictor", "Embedder"]),
    ({"search": "TRANSFORMER"}, ["Chat assistant"]),
    ({"search": "embed"}, ["Embedder"]),
    ({"archived": "true"}, ["Old forecaster"]),
    ({"archived": "all"}, ["Chat assistant", "Churn predictor", "Embedder", "Foundation", "Old forecaster"]),
    ({"archived": "false", "task_type": "forecasting"}, []),
])
def test_space_list_filters(catalogue, api_as, params, expected):
    response = api_as("viewer").get(SPACE_LIST.format("lab"), params)
    assert response.status_code == 200, response.content
    assert names(response) == expected


def test_a_record_with_two_matching_tags_appears_once(catalogue, api_as):
    response = api_as("viewer").get(SPACE_LIST.format("lab"), {"tag": "nlp,search"})
    assert [r["name"] for r in response.json()["results"]] == ["Chat assistant", "Embedder"]
    assert response.json()["count"] == 2


def test_space_list_orders_by_name_by_default_and_by_the_ordering_given(catalogue, api_as):
    client = api_as("viewer")
    default = [r["name"] for r in client.get(SPACE_LIST.format("lab")).json()["results"]]
    assert default == sorted(default)
    reverse = [r["name"] for r in client.get(SPACE_LIST.format("lab"), {"ordering": "-name"}).json()["results"]]
    assert reverse == sorted(default, reverse=True)
    by_family = client.get(SPACE_LIST.format("lab"), {"ordering": "model_family,name"}).json()["results"]
    assert [r["model_family"] for r in by_family] == sorted(r["model_family"] for r in by_family)


def test_organization_list_filters_by_space(catalogue, api_as):
    client = api_as("org_admin")
    assert names(client.get(ORG_LIST.format("acme"), {"space": "other"})) == ["Secret sauce"]
    assert len(names(client.get(ORG_LIST.format("acme"), {"space": "lab,other"}))) == 5
    assert names(client.get(ORG_LIST.format("acme"), {"model_family": "genai"})) == ["Chat assistant", "Secret sauce"]


@pytest.mark.parametrize("params, field", [
    ({"model_family": "bogus"}, "model_family"),
    ({"model_family": "genai,bogus"}, "model_family"),
    ({"product_type": "dataset"}, "product_type"),
    ({"deployment_status": "live"}, "deployment_status"),
    ({"task_type": "x"}, "task_type"),
    ({"risk_classification": "extreme"}, "risk_classification"),
    ({"lifecycle_stage": "x"}, "lifecycle_stage"),
    ({"archived": "maybe"}, "archived"),
    ({"ordering": "password"}, "ordering"),
    ({"search": "x" * 201}, "search"),
])
def test_an_invalid_filter_value_is_400_naming_the_parameter(world, api_as, params, field):
    client = api_as("viewer")
    for url in (SPACE_LIST.format("lab"), ORG_LIST.format("acme")):
        assert_error(client.get(url, params), 400, code="validation_error", field=field)


@pytest.mark.parametrize("params", [{"page": "abc"}, {"page": "0"}, {"page": "9" * 50}, {"page": ""}])
def test_a_page_that_is_not_a_page_number_is_400_naming_it(world, api_as, params):
    assert_error(api_as("viewer").get(SPACE_LIST.format("lab"), params), 400, code="validation_error", field="page")


def test_a_page_past_the_end_is_404_in_the_error_format(world, api_as):
    assert_error(api_as("viewer").get(SPACE_LIST.format("lab"), {"page": "999"}), 404, code="not_found")


@pytest.mark.parametrize("size", ["1000", "101", "abc", "-1", "0", ""])
def test_a_page_size_out_of_range_is_400_naming_it(world, api_as, size):
    assert_error(api_as("viewer").get(SPACE_LIST.format("lab"), {"size": size}), 400, code="validation_error",
                 field="size")


@pytest.mark.parametrize("size, expected", [(None, 25), ("3", 3), ("100", 100)])
def test_the_page_size_is_the_one_asked_for(world, api_as, size, expected):
    _bulk_records(world, 120)
    response = api_as("viewer").get(SPACE_LIST.format("lab"), {"size": size} if size else {})
    assert response.status_code == 200
    assert len(response.json()["results"]) == expected
    assert response.json()["count"] == 121


def test_pagination_links_keep_the_filters(world, api_as):
    _bulk_records(world, 30)
    body = api_as("viewer").get(SPACE_LIST.format("lab"), {"size": 10, "model_family": "genai"}).json()
    assert body["count"] == 30
    assert "model_family=genai" in body["next"]
    assert body["previous"] is None


# --- Query counts -----------------------------------------------------------------------

def _bulk_records(world, n, space=None):
    space = space or world.lab
    products = Product.objects.bulk_create(
        Product(space=space, name=f"Bulk {space.slug} {i:03}", slug=f"bulk-{i:03}", created_by=world.editor)
        for i in range(n)
    )
    ModelDetails.objects.bulk_create(ModelDetails(product=p, model_family="genai") for p in products)
    tags = Tag.objects.bulk_create([Tag(name=f"bulk-{space.slug}-a"), Tag(name=f"bulk-{space.slug}-b")])
    Product.tags.through.objects.bulk_create(
        Product.tags.through(product_id=p.pk, tag_id=t.pk) for p in products for t in tags
    )
    return products


QUERY_BOUND = 10


@pytest.mark.parametrize("n", [10, 100])
def test_space_list_queries_do_not_grow_with_the_records(world, api_as, django_assert_max_num_queries, n):
    _bulk_records(world, n)
    client = api_as("viewer")
    with django_assert_max_num_queries(QUERY_BOUND):
        response = client.get(SPACE_LIST.format("lab"), {"size": 100, "tag": "bulk-lab-a"})
    assert len(response.json()["results"]) == n
    assert response.json()["results"][0]["tags"] == ["bulk-lab-a", "bulk-lab-b"]


@pytest.mark.parametrize("n", [10, 100])
def test_organization_list_queries_do_not_grow_with_the_records(world, api_as, django_assert_max_num_queries, n):
    _bulk_records(world, n // 2)
    _bulk_records(world, n // 2, space=world.other)
    client = api_as("org_admin")
    with django_assert_max_num_queries(QUERY_BOUND):
        response = client.get(ORG_LIST.format("acme"), {"size": 100, "model_family": "genai"})
    assert response.json()["count"] == n + 1
