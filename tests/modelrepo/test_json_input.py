"""Stored JSON (version metrics, training-run hyperparameters, metrics and environment, a
change request's proposed values, a record's schemas) follows one rule, common.json_input:
nested at most 64 levels, no NUL or unpaired surrogates. Anything else answers a clear 400 in
the API's error format or a form error, never a 500, and nothing is written."""

import json

import pytest

from catalog.models import AuditEvent
from common import json_input
from modelrepo.models import ModelVersion, TrainingRun

pytestmark = pytest.mark.django_db
API = "/api/v1.0/catalog/products"


def nested(depth: int) -> dict:
    value = {"leaf": 1}
    for _ in range(depth - 1):
        value = {"n": value}
    return value


def test_the_rule_counts_levels_without_recursion():
    assert json_input.problem(nested(64)) is None
    assert json_input.problem(nested(65)) == json_input.TOO_DEEP
    assert json_input.problem(nested(100_000)) == json_input.TOO_DEEP
    assert json_input.problem({"a": ["x\x00y"]}) == json_input.BAD_CHARACTER
    assert json_input.problem({"\ud800": 1}) == json_input.BAD_CHARACTER


def deep_body(depth: int) -> str:
    return '{"n": ' * (depth - 1) + '{"leaf": 1}' + "}" * (depth - 1)


@pytest.mark.parametrize("depth", [65, 500])
def test_version_metrics_too_deep_answer_400_on_create_and_update(world, api_as, depth):
    client = api_as("editor")
    events = AuditEvent.objects.count()
    body = '{"label": "1.0.0", "metrics": ' + deep_body(depth) + "}"
    response = client.post(f"{API}/{world.record.pk}/model-versions", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["details"]["metrics"] == [json_input.TOO_DEEP]
    assert not ModelVersion.objects.exists() and AuditEvent.objects.count() == events

    version = client.post(f"{API}/{world.record.pk}/model-versions", {"label": "1.0.0"}, format="json").json()
    response = client.patch(f"{API}/{world.record.pk}/model-versions/{version['id']}",
                            '{"metrics": ' + deep_body(depth) + "}", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["details"]["metrics"] == [json_input.TOO_DEEP]
    assert ModelVersion.objects.get(pk=version["id"]).metrics in ({}, None)


@pytest.mark.parametrize("field", ["hyperparameters", "metrics", "environment"])
def test_training_run_json_too_deep_or_with_nul_answers_400(world, api_as, field):
    client = api_as("editor")
    runs = f"{API}/{world.record.pk}/training-runs"
    body = '{"name": "baseline", "%s": %s}' % (field, deep_body(500))
    response = client.post(runs, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["details"][field] == [json_input.TOO_DEEP]
    response = client.post(runs, {"name": "baseline", field: {"note": "a\x00b"}}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["details"][field] == [json_input.BAD_CHARACTER]
    assert not TrainingRun.objects.exists()

    run = client.post(runs, {"name": "baseline"}, format="json").json()
    response = client.patch(f"{runs}/{run['id']}", '{"%s": %s}' % (field, deep_body(500)),
                            content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["details"][field] == [json_input.TOO_DEEP]


def test_a_change_request_value_too_deep_answers_400(world, api_as):
    body = {"title": "Deep", "justification": "Testing the bound.", "changes": {"input_schema": nested(500)}}
    response = api_as("editor").post(f"{API}/{world.record.pk}/change-requests", json.dumps(body),
                                     content_type="application/json")
    assert response.status_code == 400
    assert json_input.TOO_DEEP in json.dumps(response.json()["error"])


@pytest.mark.parametrize("depth", [65, 5000])
def test_the_version_form_shows_the_same_rule_as_a_form_error(world, client_as, depth):
    response = client_as("editor").post(f"/models/{world.record.pk}/versions/new/", {
        "label": "1.0.0", "kind": "model", "metrics": deep_body(depth)})
    assert response.status_code in (200, 400)
    assert json_input.TOO_DEEP in response.content.decode()
    assert not ModelVersion.objects.exists()
