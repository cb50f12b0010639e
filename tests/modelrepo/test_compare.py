"""Comparing two versions through the API and the page: metadata differences, metric deltas,
artifacts matched by file name, training runs side by side, bad version ids, and who may
compare."""

import re
import uuid

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from modelrepo import artifacts as artifact_services
from modelrepo import compare, training
from modelrepo import versions as version_services
from modelrepo.models import ModelVersion

API = "/api/v1.0/catalog/products"
READERS = ["viewer", "member", "editor", "space_admin", "org_admin"]
STRANGERS = ["outsider", "org_member"]


def compare_url(product, a=None, b=None):
    params = []
    if a is not None:
        params.append(f"a={a}")
    if b is not None:
        params.append(f"b={b}")
    return f"{API}/{product.pk}/model-versions/compare" + ("?" + "&".join(params) if params else "")


def compare_page(product):
    return reverse("modelrepo:version_compare", kwargs={"product_id": product.pk})


def sha(char: str) -> str:
    return char * 64


def add_file(world, version, file_name, digest, size=100):
    return artifact_services.artifact_register_reference(
        actor=world.editor, product=world.record, file_name=file_name, uri=f"s3://models/{version.label}/{file_name}",
        size_bytes=size, sha256=digest, version=version,
    )


@pytest.fixture
def pair(world):
    """Two versions of the record: 1.0.0 (a) and 1.1.0 (b), with metrics, files and runs."""
    run_a = training.training_run_create(actor=world.editor, product=world.record, data={
        "name": "run-a", "hyperparameters": {"lr": 0.001, "epochs": 10}, "metrics": {"val_loss": 0.4}})
    run_b = training.training_run_create(actor=world.editor, product=world.record, data={
        "name": "run-b", "hyperparameters": {"lr": 0.0005, "epochs": 10, "batch": 32}, "metrics": {"val_loss": 0.3}})
    a = version_services.version_create(actor=world.editor, product=world.record, data={
        "label": "1.0.0", "kind": "major", "git_tag": "v1.0.0", "training_run_id": run_a.pk,
        "metrics": {"accuracy": 0.80, "f1": 0.7, "notes": "baseline", "only_in_a": 1, "latency_ms": 0}})
    b = version_services.version_create(actor=world.editor, product=world.record, data={
        "label": "1.1.0", "kind": "minor", "git_tag": "v1.1.0", "training_run_id": run_b.pk,
        "metrics": {"accuracy": 0.85, "f1": 0.7, "notes": "tuned", "only_in_b": 2, "latency_ms": 12}})
    add_file(world, a, "model.safetensors", sha("a"), 1000)
    add_file(world, b, "model.safetensors", sha("b"), 1200)
    add_file(world, a, "tokenizer.json", sha("c"))
    add_file(world, b, "tokenizer.json", sha("c"))
    add_file(world, a, "old.bin", sha("d"))
    add_file(world, b, "new.onnx", sha("e"))
    gone = add_file(world, b, "deleted.bin", sha("f"))
    artifact_services.artifact_delete(actor=world.editor, product=world.record, artifact=gone)
    return a, b


def by_name(rows, key="name"):
    return {row[key]: row for row in rows}


# --- API ---------------------------------------------------------------------------------

def test_the_metric_delta_is_b_minus_a(world, api_as, pair):
    a, b = pair
    response = api_as("viewer").get(compare_url(world.record, a.pk, b.pk))
    assert response.status_code == 200, response.content
    metrics = by_name(response.json()["metrics"])
    accuracy = metrics["accuracy"]
    assert (accuracy["a"], accuracy["b"]) == (0.80, 0.85)
    assert accuracy["numeric"] is True and accuracy["changed"] is True
    assert accuracy["delta"] == 0.05
    assert accuracy["relative_change"] == pytest.approx(0.0625)
    assert metrics["f1"]["delta"] == 0 and metrics["f1"]["changed"] is False
    assert metrics["latency_ms"]["delta"] == 12 and metrics["latency_ms"]["relative_change"] is None


def test_non_numeric_and_one_sided_metrics_say_only_whether_they_changed(world, api_as, pair):
    a, b = pair
    metrics = by_name(api_as("viewer").get(compare_url(world.record, a.pk, b.pk)).json()["metrics"])
    assert list(metrics) == ["accuracy", "f1", "latency_ms", "notes", "only_in_a", "only_in_b"]
    assert metrics["notes"]["changed"] is True and metrics["notes"]["delta"] is None
    assert metrics["only_in_a"]["b_present"] is False and metrics["only_in_a"]["changed"] is True
    assert metrics["only_in_b"]["a_present"] is False and metrics["only_in_b"]["delta"] is None


def test_artifacts_are_matched_by_file_name_and_classified(world, api_as, pair):
    a, b = pair
    body = api_as("viewer").get(compare_url(world.record, a.pk, b.pk)).json()
    artifacts = by_name(body["artifacts"], "file_name")
    assert {name: row["status"] for name, row in artifacts.items()} == {
        "model.safetensors": "changed", "tokenizer.json": "unchanged", "old.bin": "removed", "new.onnx": "added",
    }
    changed = artifacts["model.safetensors"]
    assert (changed["a"]["sha256"], changed["b"]["sha256"]) == (sha("a"), sha("b"))
    assert (changed["a"]["size_bytes"], changed["b"]["size_bytes"], changed["size_delta"]) == (1000, 1200, 200)
    assert artifacts["old.bin"]["b"] is None and artifacts["new.onnx"]["a"] is None
    assert body["artifact_counts"] == {"changed": 1, "unchanged": 1, "removed": 1, "added": 1}


def test_metadata_differences_are_flagged(world, api_as, pair):
    a, b = pair
    ModelVersion.objects.filter(pk=b.pk).update(yanked=True, yank_reason="Leaked test data")
    metadata = by_name(api_as("viewer").get(compare_url(world.record, a.pk, b.pk)).json()["metadata"], "field")
    assert {"label", "kind", "status", "release_date", "git_tag", "commit_sha", "created_by", "created_at",
            "deprecated", "yanked"} <= set(metadata)
    assert metadata["label"] == {"field": "label", "label": "Label", "a": "1.0.0", "b": "1.1.0", "changed": True}
    assert metadata["kind"]["changed"] is True
    assert metadata["status"]["changed"] is False
    assert metadata["created_by"] == {"field": "created_by", "label": "Created by", "a": "editor", "b": "editor",
                                      "changed": False}
    assert (metadata["yanked"]["a"], metadata["yanked"]["b"], metadata["yanked"]["changed"]) == (False, True, True)


def test_training_runs_are_compared_side_by_side(world, api_as, pair):
    a, b = pair
    runs = api_as("viewer").get(compare_url(world.record, a.pk, b.pk)).json()["training_runs"]
    assert (runs["a"]["name"], runs["b"]["name"], runs["same_run"]) == ("run-a", "run-b", False)
    hyper = by_name(runs["hyperparameters"])
    assert hyper["lr"]["changed"] is True and hyper["lr"]["delta"] == -0.0005
    assert hyper["epochs"]["changed"] is False
    assert hyper["batch"]["a_present"] is False
    assert by_name(runs["metrics"])["val_loss"]["delta"] == -0.1


@pytest.mark.parametrize("a,b,field", [
    (None, "B", "a"),
    ("A", None, "b"),
    ("not-a-uuid", "B", "a"),
    ("A", str(uuid.uuid4()), "b"),
    ("FOREIGN", "B", "a"),
])
def test_a_missing_malformed_or_foreign_version_id_is_a_400_naming_the_parameter(world, api_as, pair, a, b, field):
    foreign = ModelVersion.objects.create(product=world.other_record, label="9.9.9")
    ids = {"A": pair[0].pk, "B": pair[1].pk, "FOREIGN": foreign.pk}
    response = api_as("viewer").get(compare_url(world.record, ids.get(a, a), ids.get(b, b)))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"]
    assert error["message"].startswith(f"{field}: ")
    assert "9.9.9" not in response.content.decode()


@pytest.mark.parametrize("username", [None, *STRANGERS, *READERS])
def test_the_compare_endpoint_answers_each_role_as_the_policy_says(world, api_as, pair, username):
    a, b = pair
    client = APIClient() if username is None else api_as(username)
    response = client.get(compare_url(world.record, a.pk, b.pk))
    expected = 401 if username is None else 404 if username in STRANGERS else 200
    assert response.status_code == expected
    if expected != 200:
        assert set(response.json()["error"]) == {"code", "message", "details"}


def test_the_compare_route_is_not_taken_for_a_version_id(world, api_as, pair):
    a, b = pair
    # The version detail route (model-versions/<id>) still answers for real ids.
    assert api_as("viewer").get(f"{API}/{world.record.pk}/model-versions/{a.pk}").status_code == 200
    assert api_as("viewer").get(compare_url(world.record)).status_code == 400


# --- Page --------------------------------------------------------------------------------

def _selected(html, name):
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.search(r'<option value="([^"]+)"[^>]*selected', select).group(1)


def test_the_page_shows_the_delta_and_the_artifact_classification(world, client_as, pair):
    a, b = pair
    response = client_as("viewer").get(compare_page(world.record), {"a": a.pk, "b": b.pk})
    assert response.status_code == 200
    html = response.content.decode()
    delta = re.search(r"accuracy</th>.*?metric-delta\">([^<]*)<", html, re.S).group(1)
    assert delta == "+0.05"
    assert "+6.25%" in html
    for file_name, status in (("model.safetensors", "changed"), ("new.onnx", "added"), ("old.bin", "removed"),
                              ("tokenizer.json", "unchanged")):
        assert re.search(rf'class="artifact-{status}[^"]*">\s*<th scope="row"[^>]*>{re.escape(file_name)}</th>', html)
    assert "deleted.bin" not in html
    assert "run-a" in html and "run-b" in html


def test_the_page_defaults_to_the_previous_and_the_current_version(world, client_as, pair):
    a, b = pair
    c = version_services.version_create(actor=world.editor, product=world.record, data={"label": "1.2.0"})
    client = client_as("viewer")
    html = client.get(compare_page(world.record)).content.decode()
    assert (_selected(html, "a"), _selected(html, "b")) == (str(b.pk), str(c.pk))  # no current: the latest
    version_services.version_make_current(actor=world.editor, product=world.record, version=b)
    html = client.get(compare_page(world.record)).content.decode()
    assert (_selected(html, "a"), _selected(html, "b")) == (str(a.pk), str(b.pk))
    assert "1.1.0 (current)" in html


def test_the_page_shows_a_form_error_for_a_foreign_version(world, client_as, pair):
    foreign = ModelVersion.objects.create(product=world.other_record, label="9.9.9")
    response = client_as("viewer").get(compare_page(world.record), {"a": foreign.pk, "b": pair[1].pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Choose a version of this record to compare from." in html
    assert "9.9.9" not in html
    assert 'id="metadata-heading"' not in html


def test_the_page_says_when_there_is_nothing_to_compare(world, client_as):
    ModelVersion.objects.create(product=world.record, label="only")
    html = client_as("viewer").get(compare_page(world.record)).content.decode()
    assert "Nothing to compare yet" in html


def test_the_page_escapes_metric_names_and_labels(world, client_as):
    a = ModelVersion.objects.create(product=world.record, label="<i>a</i>", metrics={"<script>x</script>": 1})
    b = ModelVersion.objects.create(product=world.record, label="<i>b</i>", metrics={"<script>x</script>": 2})
    html = client_as("viewer").get(compare_page(world.record), {"a": a.pk, "b": b.pk}).content.decode()
    assert "<script>x</script>" not in html and "<i>a</i>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html


@pytest.mark.parametrize("username", [None, *STRANGERS, *READERS])
def test_the_compare_page_answers_each_role_as_the_policy_says(world, client, client_as, pair, username):
    if username is not None:
        client = client_as(username)
    response = client.get(compare_page(world.record))
    if username is None:
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    else:
        assert response.status_code == (404 if username in STRANGERS else 200)


# --- Values ------------------------------------------------------------------------------

@pytest.mark.parametrize("a,b,delta,display,relative", [
    (0.80, 0.85, 0.05, "+0.05", "+6.25%"),
    (0.1, 0.3, 0.2, "+0.2", "+200%"),
    (10, 7, -3, "-3", "-30%"),
    (-2, -1, 1, "+1", "+50%"),
    (0, 5, 5, "+5", ""),
    (1.5, 1.5, 0, "0", "0%"),
    (3, 1, -2, "-2", "-66.67%"),
    (10 ** 30 + 1, 10 ** 30, -1, "-1", "-<0.01%"),
    (5e-324, 1.7e308, 1.7e308, "+1.7e+308", "+3.4e+633%"),
])
def test_numeric_deltas_are_exact_in_decimal(a, b, delta, display, relative):
    row = compare.value_diff("m", True, a, True, b)
    assert row["delta"] == delta
    assert row["delta_display"] == display
    assert row["relative_change_display"] == relative


def test_a_delta_beyond_the_float_range_is_null_in_json_but_still_displayed():
    row = compare.value_diff("m", True, -1.7e308, True, 1.7e308)
    assert row["delta"] is None and row["delta_display"] == "+3.4e+308"
    assert compare.value_diff("m", True, 5e-324, True, 1.0)["relative_change"] is None


def test_a_boolean_is_not_a_number_and_true_differs_from_one():
    row = compare.value_diff("m", True, True, True, 1)
    assert row["numeric"] is False and row["changed"] is True
    assert compare.value_diff("m", True, {"x": 1}, True, {"x": 1})["changed"] is False
