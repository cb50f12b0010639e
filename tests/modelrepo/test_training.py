"""Training runs through the API and the pages: create, validation of each field, redaction
of linked products the reader cannot view, updates, deletion refused while versions or
artifacts point to a run, and who may do what."""

import uuid

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from catalog.models import AuditEvent, Product
from modelrepo import artifacts as artifact_services
from modelrepo import training
from modelrepo.models import ModelVersion, TrainingRun

API = "/api/v1.0/catalog/products"
HIDDEN_NAME = "Payroll ledger extract"
SHA = "ab" * 32

RUN_KEYS = {
    "id", "name", "started_at", "ended_at", "duration_seconds", "hyperparameters", "metrics", "environment",
    "dataset_products", "dataset_uris", "code_repository", "code_commit", "notes", "versions", "artifact_count",
    "created_by", "created_at",
}


def runs_url(product):
    return f"{API}/{product.pk}/training-runs"


def run_url(product, run):
    return f"{runs_url(product)}/{run.pk}"


def list_page(product):
    return reverse("modelrepo:run_list", kwargs={"product_id": product.pk})


def detail_page(product, run):
    return reverse("modelrepo:run_detail", kwargs={"product_id": product.pk, "run_id": run.pk})


def edit_page(product, run):
    return reverse("modelrepo:run_edit", kwargs={"product_id": product.pk, "run_id": run.pk})


def delete_page(product, run):
    return reverse("modelrepo:run_delete", kwargs={"product_id": product.pk, "run_id": run.pk})


@pytest.fixture
def datasets(world):
    """A dataset in lab (visible to lab members) and one in other (hidden from them)."""
    visible = Product.objects.create(space=world.lab, name="Customer events", slug="customer-events",
                                     product_type="dataset")
    hidden = Product.objects.create(space=world.other, name=HIDDEN_NAME, slug="payroll", product_type="dataset")
    return visible, hidden


@pytest.fixture
def linked_run(world, datasets):
    """A run linking both datasets, recorded by the org admin (who can view both)."""
    visible, hidden = datasets
    return training.training_run_create(actor=world.org_admin, product=world.record, data={
        "name": "run-with-data", "dataset_product_ids": [visible.pk, hidden.pk],
        "dataset_uris": ["s3://lake/events/2026-01/"],
    })


def make_run(world, name="baseline", **data):
    return training.training_run_create(actor=world.editor, product=world.record, data={"name": name, **data})


def full_body(visible):
    return {
        "name": "baseline-2026-01",
        "started_at": "2026-01-10T08:00:00Z",
        "ended_at": "2026-01-10T11:30:00Z",
        "hyperparameters": {"learning_rate": 0.001, "epochs": 20},
        "metrics": {"accuracy": 0.91, "loss": 0.23},
        "environment": {"torch": "2.4.1", "gpu": "A100"},
        "dataset_product_ids": [str(visible.pk)],
        "dataset_uris": ["s3://lake/events/2026-01/", "https://data.example.com/holdout.parquet"],
        "code_repository": "https://git.example.com/ml/churn.git",
        "code_commit": "ABCDEF1234",
        "notes": "First run on the January snapshot.\nSeed 7.",
    }


# --- Create and read ---------------------------------------------------------------------

def test_it_creates_a_training_run_with_every_field_and_audits_it(world, api_as, datasets):
    visible, _ = datasets
    response = api_as("editor").post(runs_url(world.record), full_body(visible), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert set(data) == RUN_KEYS
    assert data["name"] == "baseline-2026-01"
    assert data["duration_seconds"] == 3.5 * 3600
    assert data["hyperparameters"] == {"learning_rate": 0.001, "epochs": 20}
    assert data["environment"] == {"torch": "2.4.1", "gpu": "A100"}
    assert data["dataset_products"] == [{"id": str(visible.pk), "name": "Customer events", "redacted": False}]
    assert data["dataset_uris"] == ["s3://lake/events/2026-01/", "https://data.example.com/holdout.parquet"]
    assert data["code_commit"] == "abcdef1234"
    assert data["notes"] == "First run on the January snapshot.\nSeed 7."
    assert data["versions"] == [] and data["artifact_count"] == 0
    assert data["created_by"] == "editor"
    assert response["Location"].endswith(f"/training-runs/{data['id']}")
    event = AuditEvent.objects.get(action="training_run.created")
    assert event.target_id == str(world.record.pk)
    assert event.changes["training_run"] == {"old": None, "new": "baseline-2026-01"}
    assert event.changes["dataset_product_ids"]["new"] == [str(visible.pk)]


def test_it_lists_runs_newest_first_with_pagination(world, api_as):
    for name in ("first", "second", "third"):
        make_run(world, name)
    training.training_run_create(actor=world.outsider, product=world.other_record, data={"name": "secret"})
    body = api_as("viewer").get(runs_url(world.record) + "?size=2").json()
    assert body["count"] == 3
    assert [run["name"] for run in body["results"]] == ["third", "second"]
    assert body["next"] and body["previous"] is None


def test_the_run_lists_the_versions_that_point_to_it(world, api_as):
    run = make_run(world)
    ModelVersion.objects.create(product=world.record, label="1.0.0", training_run=run)
    data = api_as("viewer").get(run_url(world.record, run)).json()
    assert [v["label"] for v in data["versions"]] == ["1.0.0"]


def test_a_run_of_another_record_is_not_found_under_this_record(world, api_as):
    foreign = training.training_run_create(actor=world.outsider, product=world.other_record, data={"name": "x"})
    response = api_as("org_admin").get(f"{runs_url(world.record)}/{foreign.pk}")
    assert response.status_code == 404
    assert api_as("editor").get(f"{runs_url(world.record)}/not-a-uuid").status_code == 404


# --- Validation --------------------------------------------------------------------------

BAD_FIELDS = [
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"started_at": "2026-01-10T12:00:00Z", "ended_at": "2026-01-10T11:00:00Z"}, "ended_at"),
    ({"started_at": "yesterday"}, "started_at"),
    ({"hyperparameters": [1, 2]}, "hyperparameters"),
    ({"metrics": "0.9"}, "metrics"),
    ({"environment": ["torch"]}, "environment"),
    ({"dataset_product_ids": [str(uuid.uuid4())]}, "dataset_product_ids"),
    ({"dataset_product_ids": ["not-a-uuid"]}, "dataset_product_ids"),
    ({"dataset_product_ids": "abc"}, "dataset_product_ids"),
    ({"dataset_uris": ["lake/events/2026-01"]}, "dataset_uris"),
    ({"dataset_uris": ["s3://lake/" + "x" * 2000]}, "dataset_uris"),
    ({"dataset_uris": [f"s3://lake/{i}" for i in range(101)]}, "dataset_uris"),
    ({"dataset_uris": ["https://user:secret@data.example.com/x"]}, "dataset_uris"),
    ({"dataset_uris": ["s3://lake/a b"]}, "dataset_uris"),
    ({"dataset_uris": ["s3://lake/a", "s3://lake/a"]}, "dataset_uris"),
    ({"dataset_uris": "s3://lake/a"}, "dataset_uris"),
    ({"code_commit": "not-hex"}, "code_commit"),
    ({"code_commit": "abc"}, "code_commit"),
    ({"code_repository": "x" * 501}, "code_repository"),
    ({"colour": "blue"}, "colour"),
]


@pytest.mark.parametrize("overrides,field", BAD_FIELDS)
def test_it_refuses_a_bad_field_naming_it(world, api_as, overrides, field):
    body = {"name": "run", **overrides}
    response = api_as("editor").post(runs_url(world.record), body, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"], error
    assert error["message"].strip()
    assert not TrainingRun.objects.filter(product=world.record).exists()


def test_a_duplicate_name_is_refused_but_another_record_may_use_it(world, api_as):
    make_run(world, "baseline")
    response = api_as("editor").post(runs_url(world.record), {"name": "baseline"}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()["error"]["details"]
    other = api_as("outsider").post(runs_url(world.other_record), {"name": "baseline"}, format="json")
    assert other.status_code == 201


def test_a_hidden_and_a_missing_dataset_product_get_the_same_answer(world, api_as, datasets):
    _, hidden = datasets
    missing = uuid.uuid4()
    client = api_as("editor")
    answers = []
    for product_id in (hidden.pk, missing):
        response = client.post(runs_url(world.record), {"name": "run", "dataset_product_ids": [str(product_id)]},
                               format="json")
        assert response.status_code == 400
        error = response.json()["error"]
        answers.append((error["code"], error["message"].replace(str(product_id), "<id>"),
                        [m.replace(str(product_id), "<id>") for m in error["details"]["dataset_product_ids"]]))
    assert answers[0] == answers[1]
    assert HIDDEN_NAME not in str(answers)


def test_an_update_that_would_end_the_run_before_it_started_is_refused(world, api_as):
    run = make_run(world, started_at="2026-01-10T08:00:00Z")
    response = api_as("editor").patch(run_url(world.record, run), {"ended_at": "2026-01-09T08:00:00Z"}, format="json")
    assert response.status_code == 400
    assert "ended_at" in response.json()["error"]["details"]
    run.refresh_from_db()
    assert run.ended_at is None


# --- Update ------------------------------------------------------------------------------

def test_it_updates_some_fields_and_audits_only_the_changes(world, api_as):
    run = make_run(world, metrics={"accuracy": 0.8})
    response = api_as("editor").patch(run_url(world.record, run), {"metrics": {"accuracy": 0.85}, "notes": "Retuned."},
                                      format="json")
    assert response.status_code == 200, response.content
    assert response.json()["metrics"] == {"accuracy": 0.85}
    event = AuditEvent.objects.get(action="training_run.updated")
    assert set(event.changes) == {"metrics", "notes", "training_run"}
    assert event.changes["metrics"] == {"old": {"accuracy": 0.8}, "new": {"accuracy": 0.85}}


def test_sending_the_same_values_changes_nothing(world, api_as):
    run = make_run(world, notes="same")
    assert api_as("editor").patch(run_url(world.record, run), {"notes": "same"}, format="json").status_code == 200
    assert not AuditEvent.objects.filter(action="training_run.updated").exists()


def test_renaming_to_a_taken_name_is_refused(world, api_as):
    make_run(world, "a")
    run = make_run(world, "b")
    response = api_as("editor").patch(run_url(world.record, run), {"name": "a"}, format="json")
    assert response.status_code == 400
    assert "name" in response.json()["error"]["details"]


def test_an_update_by_someone_who_cannot_see_a_linked_product_keeps_that_link(world, api_as, datasets, linked_run):
    visible, hidden = datasets
    response = api_as("editor").patch(run_url(world.record, linked_run), {"dataset_product_ids": []}, format="json")
    assert response.status_code == 200
    assert set(linked_run.dataset_products.values_list("pk", flat=True)) == {hidden.pk}
    assert response.json()["dataset_products"] == [{"id": None, "name": None, "redacted": True}]


# --- Redaction ---------------------------------------------------------------------------

def test_the_api_redacts_a_dataset_product_the_viewer_cannot_see(world, api_as, datasets, linked_run):
    visible, hidden = datasets
    for url in (runs_url(world.record), run_url(world.record, linked_run)):
        response = api_as("viewer").get(url)
        assert response.status_code == 200
        body = response.json()
        run = body["results"][0] if "results" in body else body
        assert run["dataset_products"] == [
            {"id": str(visible.pk), "name": "Customer events", "redacted": False},
            {"id": None, "name": None, "redacted": True},
        ]
        assert HIDDEN_NAME not in response.content.decode()
        assert str(hidden.pk) not in response.content.decode()


def test_a_reader_who_can_see_every_product_gets_every_name(world, api_as, datasets, linked_run):
    data = api_as("org_admin").get(run_url(world.record, linked_run)).json()
    assert sorted(item["name"] for item in data["dataset_products"]) == ["Customer events", HIDDEN_NAME]


def test_the_pages_redact_a_dataset_product_the_viewer_cannot_see(world, client_as, datasets, linked_run):
    client = client_as("viewer")
    for url in (list_page(world.record), detail_page(world.record, linked_run)):
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert "Customer events" in html
        assert "Restricted product" in html
        assert HIDDEN_NAME not in html
        assert str(datasets[1].pk) not in html


def test_the_edit_form_offers_only_visible_products(world, client_as, datasets, linked_run):
    html = client_as("editor").get(edit_page(world.record, linked_run)).content.decode()
    assert "Customer events" in html
    assert HIDDEN_NAME not in html
    assert str(datasets[1].pk) not in html
    assert "1 product you cannot view" in html


# --- Delete ------------------------------------------------------------------------------

def test_it_deletes_an_unreferenced_run_and_audits_it(world, api_as):
    run = make_run(world)
    response = api_as("editor").delete(run_url(world.record, run))
    assert response.status_code == 204
    assert not TrainingRun.objects.filter(pk=run.pk).exists()
    event = AuditEvent.objects.get(action="training_run.deleted")
    assert event.changes["training_run"] == {"old": "baseline", "new": None}


def test_delete_is_refused_while_a_version_points_to_the_run(world, api_as):
    run = make_run(world)
    ModelVersion.objects.create(product=world.record, label="1.0.0", training_run=run)
    response = api_as("editor").delete(run_url(world.record, run))
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "training_run_in_use"
    assert error["details"]["versions"] == 1
    assert "1 version" in error["message"]
    assert TrainingRun.objects.filter(pk=run.pk).exists()


def test_delete_is_refused_while_an_upload_in_progress_names_the_run_and_allowed_once_it_is_aborted(world, api_as):
    run = make_run(world)
    client = api_as("editor")
    uploads = f"/api/v1.0/catalog/products/{world.record.pk}/model-artifacts/uploads"
    started = client.post(uploads, {"file_name": "model.bin", "total_size": 10, "artifact_kind": "weights",
                                    "training_run_id": str(run.pk)}, format="json")
    assert started.status_code == 201, started.content
    response = client.delete(run_url(world.record, run))
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "training_run_in_use"
    assert error["details"] == {"versions": 0, "artifacts": 0, "uploads": 1}
    assert "1 upload" in error["message"]
    assert client.delete(f"{uploads}/{started.json()['id']}").status_code in (200, 204)
    assert client.delete(run_url(world.record, run)).status_code == 204


def test_delete_is_refused_while_an_artifact_points_to_the_run(world, api_as):
    run = make_run(world)
    artifact_services.artifact_register_reference(
        actor=world.editor, product=world.record, file_name="model.onnx", uri="s3://models/model.onnx",
        size_bytes=10, sha256=SHA, training_run=run,
    )
    response = api_as("editor").delete(run_url(world.record, run))
    assert response.status_code == 409
    assert response.json()["error"]["details"]["artifacts"] == 1
    assert TrainingRun.objects.filter(pk=run.pk).exists()


def test_a_deleted_artifact_no_longer_holds_the_run(world, api_as):
    run = make_run(world)
    artifact = artifact_services.artifact_register_reference(
        actor=world.editor, product=world.record, file_name="model.onnx", uri="s3://models/model.onnx",
        size_bytes=10, sha256=SHA, training_run=run,
    )
    artifact_services.artifact_delete(actor=world.editor, product=world.record, artifact=artifact)
    assert api_as("editor").delete(run_url(world.record, run)).status_code == 204


# --- Pages -------------------------------------------------------------------------------

def form_data(**overrides):
    data = {
        "name": "page-run", "started_at": "2026-01-10T08:00:00", "ended_at": "2026-01-10T09:00:00",
        "hyperparameters": '{"epochs": 5}', "metrics": '{"accuracy": 0.9}', "environment": "",
        "dataset_uris": "s3://lake/a\n\nhttps://data.example.com/b\n", "code_repository": "", "code_commit": "abc1234",
        "notes": "",
    }
    data.update(overrides)
    return data


def test_an_editor_records_a_run_from_the_list_page(world, client_as, datasets):
    visible, _ = datasets
    client = client_as("editor")
    assert "Record a training run" in client.get(list_page(world.record)).content.decode()
    response = client.post(list_page(world.record), form_data(dataset_product_ids=[str(visible.pk)]))
    run = TrainingRun.objects.get(product=world.record, name="page-run")
    assert response.status_code == 302
    assert response["Location"] == detail_page(world.record, run)
    assert run.hyperparameters == {"epochs": 5}
    assert run.dataset_uris == ["s3://lake/a", "https://data.example.com/b"]
    assert list(run.dataset_products.all()) == [visible]
    page = client.get(response["Location"]).content.decode()
    assert "page-run" in page and "s3://lake/a" in page and "Customer events" in page


@pytest.mark.parametrize("overrides,message", [
    ({"dataset_uris": "lake/no-scheme"}, "absolute URI with a scheme"),
    ({"ended_at": "2026-01-09T08:00:00"}, "cannot end before it started"),
    ({"metrics": "[1]"}, "JSON object"),
    ({"code_commit": "xyz"}, "hexadecimal"),
    ({"name": ""}, "required"),
])
def test_the_create_form_shows_each_error_and_records_nothing(world, client_as, overrides, message):
    response = client_as("editor").post(list_page(world.record), form_data(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not TrainingRun.objects.filter(product=world.record).exists()


def test_the_create_form_refuses_a_hidden_dataset_product(world, client_as, datasets):
    _, hidden = datasets
    response = client_as("editor").post(list_page(world.record), form_data(dataset_product_ids=[str(hidden.pk)]))
    assert response.status_code == 200
    assert training.UNKNOWN_DATASET_PRODUCT in response.content.decode()
    assert HIDDEN_NAME not in response.content.decode()
    assert not TrainingRun.objects.exists()


def test_the_edit_page_saves_changes(world, client_as):
    run = make_run(world, "baseline", started_at="2026-01-10T08:00:00Z", notes="old")
    client = client_as("editor")
    page = client.get(edit_page(world.record, run))
    assert page.status_code == 200 and "baseline" in page.content.decode()
    response = client.post(edit_page(world.record, run), form_data(name="baseline-v2", notes="new"))
    assert response.status_code == 302
    run.refresh_from_db()
    assert (run.name, run.notes) == ("baseline-v2", "new")


def test_the_detail_page_lists_the_versions_and_artifacts_of_the_run(world, client_as):
    run = make_run(world)
    version = ModelVersion.objects.create(product=world.record, label="2.1.0", training_run=run)
    artifact_services.artifact_register_reference(
        actor=world.editor, product=world.record, file_name="weights.safetensors", uri="s3://m/w", size_bytes=1024,
        sha256=SHA, version=version, training_run=run,
    )
    html = client_as("viewer").get(detail_page(world.record, run)).content.decode()
    assert "2.1.0" in html
    assert "weights.safetensors" in html and SHA in html


def test_deleting_a_referenced_run_from_its_page_is_refused_with_a_message(world, client_as):
    run = make_run(world)
    ModelVersion.objects.create(product=world.record, label="1.0.0", training_run=run)
    client = client_as("editor")
    response = client.post(delete_page(world.record, run), follow=True)
    assert response.status_code == 200
    assert "still referenced by 1 version" in response.content.decode()
    assert TrainingRun.objects.filter(pk=run.pk).exists()


def test_deleting_an_unreferenced_run_from_its_page(world, client_as):
    run = make_run(world)
    response = client_as("editor").post(delete_page(world.record, run))
    assert response.status_code == 302
    assert response["Location"] == list_page(world.record)
    assert not TrainingRun.objects.filter(pk=run.pk).exists()


def test_user_text_is_escaped_on_the_pages(world, client_as):
    run = make_run(world, "<script>alert(1)</script>", metrics={"<b>f1</b>": 1}, notes="<img src=x>")
    for url in (list_page(world.record), detail_page(world.record, run)):
        html = client_as("viewer").get(url).content.decode()
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<img src=x>" not in html and "<b>f1</b>" not in html


def test_the_list_page_query_count_does_not_grow_with_the_runs(world, client_as, datasets,
                                                                django_assert_max_num_queries):
    visible, hidden = datasets
    client = client_as("viewer")
    for i in range(3):
        training.training_run_create(actor=world.org_admin, product=world.record,
                                     data={"name": f"r{i}", "dataset_product_ids": [visible.pk, hidden.pk]})
    client.get(list_page(world.record))
    with django_assert_max_num_queries(30) as few:
        client.get(list_page(world.record))
    for i in range(3, 15):
        training.training_run_create(actor=world.org_admin, product=world.record,
                                     data={"name": f"r{i}", "dataset_product_ids": [visible.pk, hidden.pk]})
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(list_page(world.record))


def test_the_api_list_query_count_does_not_grow_with_the_runs(world, api_as, datasets, django_assert_max_num_queries):
    visible, hidden = datasets
    client = api_as("viewer")
    for i in range(3):
        training.training_run_create(actor=world.org_admin, product=world.record,
                                     data={"name": f"r{i}", "dataset_product_ids": [visible.pk, hidden.pk]})
    with django_assert_max_num_queries(30) as few:
        client.get(runs_url(world.record))
    for i in range(3, 15):
        training.training_run_create(actor=world.org_admin, product=world.record,
                                     data={"name": f"r{i}", "dataset_product_ids": [visible.pk, hidden.pk]})
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(runs_url(world.record))


# --- Who may do what ---------------------------------------------------------------------

READERS = ["viewer", "member", "editor", "space_admin", "org_admin"]
WRITERS = ["editor", "space_admin", "org_admin"]
NON_WRITERS = ["viewer", "member"]
STRANGERS = ["outsider", "org_member"]


def _api_call(client, method, url, body=None):
    return getattr(client, method)(url, body, format="json") if body is not None else getattr(client, method)(url)


@pytest.mark.parametrize("username", [None, *STRANGERS, *READERS])
def test_api_reads_answer_each_role_as_the_policy_says(world, api_as, username):
    run = make_run(world)
    client = APIClient() if username is None else api_as(username)
    expected = 401 if username is None else 404 if username in STRANGERS else 200
    for url in (runs_url(world.record), run_url(world.record, run)):
        response = client.get(url)
        assert response.status_code == expected, (username, url)
        if expected != 200:
            assert set(response.json()["error"]) == {"code", "message", "details"}


@pytest.mark.parametrize("username", [None, *STRANGERS, *READERS])
def test_api_writes_answer_each_role_as_the_policy_says(world, api_as, username):
    client = APIClient() if username is None else api_as(username)
    expected_ok = {"post": 201, "patch": 200, "delete": 204}
    run = make_run(world, f"target-{username}")
    calls = [("post", runs_url(world.record), {"name": f"new-{username}"}),
             ("patch", run_url(world.record, run), {"notes": "changed"}),
             ("delete", run_url(world.record, run), None)]
    for method, url, body in calls:
        response = _api_call(client, method, url, body)
        if username is None:
            expected = 401
        elif username in STRANGERS:
            expected = 404
        elif username in NON_WRITERS:
            expected = 403
        else:
            expected = expected_ok[method]
        assert response.status_code == expected, (username, method, response.content)


def test_a_read_only_token_cannot_write_runs(world, api_as):
    client = api_as("editor", scope="read")
    assert client.get(runs_url(world.record)).status_code == 200
    assert client.post(runs_url(world.record), {"name": "x"}, format="json").status_code == 403


@pytest.mark.parametrize("username", [None, *STRANGERS, *READERS])
def test_pages_answer_each_role_as_the_policy_says(world, client, client_as, username):
    run = make_run(world)
    if username is not None:
        client = client_as(username)
    reads = [list_page(world.record), detail_page(world.record, run)]
    for url in reads:
        response = client.get(url)
        if username is None:
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        else:
            assert response.status_code == (404 if username in STRANGERS else 200), (username, url)
    response = client.get(edit_page(world.record, run))
    expected = {None: 302}.get(username, 404 if username in STRANGERS else 403 if username in NON_WRITERS else 200)
    assert response.status_code == expected, (username, "edit")
    for url, data in ((list_page(world.record), form_data(name=f"p-{username}")),
                      (edit_page(world.record, run), form_data(name="renamed"))):
        response = client.post(url, data)
        expected = {None: 302}.get(username, 404 if username in STRANGERS else 403 if username in NON_WRITERS else 302)
        assert response.status_code == expected, (username, url)
    response = client.post(delete_page(world.record, run))
    expected = {None: 302}.get(username, 404 if username in STRANGERS else 403 if username in NON_WRITERS else 302)
    assert response.status_code == expected, (username, "delete")
    assert TrainingRun.objects.filter(pk=run.pk).exists() == (username not in WRITERS)


def test_viewers_see_no_create_form_or_edit_buttons(world, client_as):
    run = make_run(world)
    client = client_as("viewer")
    assert "Record a training run" not in client.get(list_page(world.record)).content.decode()
    assert edit_page(world.record, run) not in client.get(detail_page(world.record, run)).content.decode()
