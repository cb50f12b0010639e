"""The version page and the provenance endpoint: who may see them; who released a version and
when, with which key; the change requests that approved it, with their reviewers; the
training run, its datasets and the record's sources, with products the reader cannot see
redacted; the previous version and the comparison; the Versions tab links each version to its
page; a bounded number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from catalog import lineage, products
from governance import change_requests
from governance.models import ChangeRequest, ChangeRequestStatus, ChangeReview
from modelrepo import signing, training
from modelrepo import versions as version_services
from tests.modelrepo.test_artifacts_api import artifact_root, store_artifact  # noqa: F401 (fixture)
from tests.modelrepo.test_release_immutability import signing_key  # noqa: F401 (autouse fixture)

READERS = ["viewer", "member", "editor", "space_admin", "org_admin"]
STRANGERS = ["outsider", "org_member"]
COMMIT = "0123456789abcdef0123456789abcdef01234567"
HIDDEN = "Hidden ledger"


def page_url(version):
    return reverse("governance:version_detail", kwargs={"product_id": version.product_id, "version_id": version.pk})


def api_url(version):
    return f"/api/v1.0/catalog/products/{version.product_id}/model-versions/{version.pk}/provenance"


def new_version(world, label, **data):
    return version_services.version_create(actor=world.editor, product=world.record, data={"label": label, **data})


def release(world, version, actor=None, data=b"weights"):
    store_artifact(world.record, world.editor, data * 10, file_name="model.safetensors", version=version)
    return version_services.version_release(actor=actor or world.editor, product=world.record, version=version)


def dataset(world, name, space=None, actor=None):
    return products.data_product_create(actor=actor or world.editor, space=space or world.lab,
                                        data={"product_type": "dataset", "name": name})


@pytest.fixture
def first(world, artifact_root):  # noqa: F811
    return release(world, new_version(world, "1.0.0", metrics={"f1": 0.8}), data=b"old")


@pytest.fixture
def trained(world, first):
    """1.1.0, trained in a run on a visible and a hidden dataset, from a record with a visible
    and a hidden source; released by the space admin."""
    events, ledger = dataset(world, "Customer events"), dataset(world, HIDDEN, world.other, world.outsider)
    lineage.edge_add(actor=world.editor, upstream=events, downstream=world.record)
    lineage.edge_add(actor=world.org_admin, upstream=ledger, downstream=world.record)
    run = training.training_run_create(actor=world.org_admin, product=world.record, data={
        "name": "baseline-2026-01", "dataset_product_ids": [str(events.pk), str(ledger.pk)],
        "dataset_uris": ["s3://lake/events/2026-01/"], "code_repository": "https://git.example.com/ml/churn.git",
        "code_commit": "abcdef1",
    })
    version = new_version(world, "1.1.0", commit_sha=COMMIT, git_tag="v1.1.0", training_run_id=str(run.pk),
                          metrics={"f1": 0.85})
    return release(world, version, actor=world.space_admin)


def approved_and_applied(world, changes, requester=None):
    """A change request through the services: opened by a member, approved by the space admin
    (who stands in for the empty owner and data architect groups), applied by the requester."""
    requester = requester or world.member
    request = change_requests.change_request_create(
        actor=requester, product=world.record, title="Go to production", justification="Validated on Q1 data.",
        changes=changes)
    change_requests.change_request_review(actor=world.space_admin, change_request=request, decision="approve",
                                          notes="Checked the evaluation report.")
    return change_requests.change_request_apply(actor=requester, change_request=request)


# --- Who may see it ---------------------------------------------------------------------

def test_an_anonymous_visitor_is_sent_to_log_in_and_the_api_answers_401(world, client, trained):
    response = client.get(page_url(trained))
    assert response.status_code == 302 and response["Location"].startswith(f"{reverse('login')}?next=")
    response = APIClient().get(api_url(trained))
    assert response.status_code == 401 and response.json()["error"]["code"]


@pytest.mark.parametrize("username", STRANGERS)
def test_users_who_cannot_see_the_record_get_404(world, client_as, api_as, trained, username):
    assert client_as(username).get(page_url(trained)).status_code == 404
    response = api_as(username, "read").get(api_url(trained))
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert "Churn predictor" not in response.content.decode()


@pytest.mark.parametrize("username", READERS)
def test_everyone_who_can_see_the_record_sees_the_page_and_the_json(world, client_as, api_as, trained, username):
    assert client_as(username).get(page_url(trained)).status_code == 200
    response = api_as(username, "read").get(api_url(trained))
    assert response.status_code == 200
    assert response.json()["version"]["label"] == "1.1.0"


def test_a_version_of_another_record_or_a_malformed_id_is_not_found(world, client_as, api_as, trained):
    other = version_services.version_create(actor=world.outsider, product=world.other_record, data={"label": "9"})
    url = reverse("governance:version_detail", kwargs={"product_id": world.record.pk, "version_id": other.pk})
    assert client_as("org_admin").get(url).status_code == 404
    base = f"/api/v1.0/catalog/products/{world.record.pk}/model-versions"
    assert api_as("org_admin").get(f"{base}/{other.pk}/provenance").status_code == 404
    assert api_as("org_admin").get(f"{base}/not-a-uuid/provenance").status_code == 404


def test_viewers_get_no_change_actions_and_editors_get_the_ones_that_apply(world, client_as, artifact_root):  # noqa: F811
    draft = new_version(world, "2.0.0-rc1")
    release_url = reverse("modelrepo:version_release", kwargs={"product_id": world.record.pk, "version_id": draft.pk})
    viewer_page = client_as("viewer").get(page_url(draft)).content.decode()
    assert release_url not in viewer_page and "make-current-form" not in viewer_page
    editor_page = client_as("editor").get(page_url(draft)).content.decode()
    assert release_url in editor_page and "make-current-form" in editor_page
    assert "deprecate-link" not in editor_page and "verify-form" not in editor_page


def test_the_versions_tab_links_each_label_to_its_page(world, client_as, first, trained):
    page = client_as("viewer").get(reverse("modelrepo:model_tab", kwargs={"product_id": world.record.pk,
                                                                          "tab": "versions"})).content.decode()
    assert f'href="{page_url(first)}">1.0.0</a>' in page
    assert f'href="{page_url(trained)}">1.1.0</a>' in page


# --- Release and signature ---------------------------------------------------------------

def test_a_released_version_says_who_released_it_when_and_with_which_key(world, client_as, api_as, trained):
    page = client_as("viewer").get(page_url(trained)).content.decode()
    when = timezone.localtime(trained.released_at).strftime("%Y-%m-%d %H:%M")
    assert "Released by space_admin on" in page and when in page
    assert trained.signature_key_id == signing.current_key_id()
    assert trained.signature_key_id in page and "the current release signing key" in page
    signature = reverse("modelrepo-api:version_signature",
                        kwargs={"product_id": world.record.pk, "version_id": trained.pk})
    assert signature in page and "verify-form" in page
    body = api_as("viewer", "read").get(api_url(trained)).json()
    assert body["release"]["released"] is True and body["release"]["released_by"] == "space_admin"
    assert body["release"]["event"]["actor"] == "space_admin"
    assert body["signature"] | {"integrity": None} == {
        "signed": True, "key_id": signing.current_key_id(), "signed_at": body["signature"]["signed_at"],
        "key_is_current": True, "key_is_trusted": True, "url": signature, "integrity": None,
        "public_key_url": reverse("modelrepo-api:signing_public_key"),
    }
    assert body["signature"]["integrity"]["file_count"] == 1 and body["signature"]["integrity"]["verified"] == 1
    assert [a["file_name"] for a in body["artifacts"]] == ["model.safetensors"]
    assert body["source"] == {"git_tag": "v1.1.0", "commit_sha": COMMIT}


def test_a_draft_says_it_is_not_released_signed_or_approved(world, client_as, api_as, artifact_root):  # noqa: F811
    draft = new_version(world, "0.1.0")
    page = client_as("viewer").get(page_url(draft)).content.decode()
    assert "Not released yet" in page and "Not signed" in page and "No approving change request" in page
    assert "No training run recorded" in page and "This is the first version" in page
    body = api_as("viewer", "read").get(api_url(draft)).json()
    assert body["release"]["released"] is False and body["release"]["event"] is None
    assert body["signature"]["signed"] is False and body["signature"]["url"] is None
    assert body["change_requests"] == [] and body["comparison"] is None and body["training_run"] is None


def test_deprecation_and_yank_say_who_when_and_why(world, client_as, api_as, trained):
    version_services.version_deprecate(actor=world.editor, product=world.record, version=trained, reason="Drifted.")
    version_services.version_yank(actor=world.space_admin, product=world.record, version=trained, reason="Leak.")
    page = client_as("viewer").get(page_url(trained)).content.decode()
    assert "Deprecated by editor on" in page and "Drifted." in page
    assert "Yanked by space_admin on" in page and "Leak." in page
    body = api_as("viewer", "read").get(api_url(trained)).json()
    assert body["deprecation"]["flagged"] and body["deprecation"]["event"]["actor"] == "editor"
    assert body["yank"]["reason"] == "Leak." and body["yank"]["event"]["actor"] == "space_admin"


# --- Approvals ---------------------------------------------------------------------------

def test_a_production_change_request_applied_while_it_was_current_appears_with_its_reviewers(
        world, client_as, api_as, first, trained):
    version_services.version_make_current(actor=world.editor, product=world.record, version=first)
    version_services.version_make_current(actor=world.editor, product=world.record, version=trained,
                                          reason="Better recall.")
    applied = approved_and_applied(world, {"deployment_status": "production"})
    assert applied.status == ChangeRequestStatus.APPLIED
    page = client_as("viewer").get(page_url(trained)).content.decode()
    assert "Go to production" in page and "No approving change request" not in page
    assert "moving the record to production while it was current" in page
    assert "Requested by member, applied by member on" in page
    assert "space_admin approved on" in page and "Checked the evaluation report." in page
    body = api_as("viewer", "read").get(api_url(trained)).json()
    [request] = body["change_requests"]
    assert request["id"] == str(applied.pk) and request["approves"] == ["production"]
    assert request["requester"] == "member" and request["applied_by"] == "member"
    assert [(r["reviewer"], r["decision"]) for r in request["reviews"]] == [("space_admin", "approve")]
    [change] = request["approved"]
    assert change | {"field": "deployment_status", "old_value": "development", "new_value": "production",
                     "approves": "production"} == change
    # 1.0.0 was no longer current when the record went to production.
    assert api_as("viewer", "read").get(api_url(first)).json()["change_requests"] == []
    assert "No approving change request" in client_as("viewer").get(page_url(first)).content.decode()


def test_change_requests_naming_the_version_in_release_or_current_fields_appear(world, api_as, first, trained):
    # The release and current-version pseudo-fields carry the version id as their new value.
    request = ChangeRequest.objects.create(
        product=world.record, requester=world.editor, title="Release 1.1.0", justification="Approved model.",
        changes=[{"field": "release_version", "old_value": None, "new_value": str(trained.pk)},
                 {"field": "current_version", "old_value": str(first.pk), "new_value": str(trained.pk)}],
        status=ChangeRequestStatus.APPLIED, applied_by=world.space_admin, applied_at=timezone.now())
    ChangeReview.objects.create(change_request=request, reviewer=world.space_admin, decision="approve")
    ChangeRequest.objects.create(  # not applied: no approval
        product=world.record, requester=world.editor, title="Pending", justification="x", status="pending",
        changes=[{"field": "release_version", "old_value": None, "new_value": str(trained.pk)}])
    body = api_as("viewer", "read").get(api_url(trained)).json()
    [found] = body["change_requests"]
    assert found["title"] == "Release 1.1.0" and found["approves"] == ["release", "current"]
    assert found["applied_by"] == "space_admin"
    assert api_as("viewer", "read").get(api_url(first)).json()["change_requests"] == []


def test_a_release_through_a_change_request_names_it_its_reviewer_and_who_applied_it(
        world, client_as, api_as, artifact_root):  # noqa: F811
    version = new_version(world, "2.0.0")
    store_artifact(world.record, world.editor, b"weights" * 10, file_name="model.safetensors", version=version)
    applied = approved_and_applied(world, {"release_version": str(version.pk)})
    version.refresh_from_db()
    assert applied.status == ChangeRequestStatus.APPLIED and version.is_released
    body = api_as("viewer", "read").get(api_url(version)).json()
    [found] = body["change_requests"]
    assert found["id"] == str(applied.pk) and found["approves"] == ["release"]
    assert found["requester"] == "member" and found["applied_by"] == "member"
    assert [(r["reviewer"], r["decision"]) for r in found["reviews"]] == [("space_admin", "approve")]
    assert body["release"]["released"] is True and body["release"]["released_by"] == "member"
    assert body["signature"]["signed"] is True
    page = client_as("viewer").get(page_url(version)).content.decode()
    assert "Released by member on" in page and "Go to production" in page
    assert "No approving change request" not in page


# --- Training, data and lineage ----------------------------------------------------------

def test_the_training_run_datasets_and_sources_appear_and_hidden_products_are_redacted(
        world, client_as, api_as, trained):
    page = client_as("viewer").get(page_url(trained)).content.decode()
    assert "baseline-2026-01" in page and "Customer events" in page and "s3://lake/events/2026-01/" in page
    assert "https://git.example.com/ml/churn.git" in page and COMMIT in page
    assert page.count("A product you cannot see") == 2  # the hidden dataset and the hidden source
    assert HIDDEN not in page
    response = api_as("viewer", "read").get(api_url(trained))
    assert HIDDEN not in response.content.decode()
    body = response.json()
    run = body["training_run"]
    assert run["name"] == "baseline-2026-01" and run["code_commit"] == "abcdef1"
    assert [(d["name"], d["redacted"]) for d in run["dataset_products"]] == [("Customer events", False), (None, True)]
    assert run["dataset_products"][1] == {"id": None, "name": None, "redacted": True, "url": None}
    assert [(n["name"], n["redacted"], n["space"]) for n in body["upstream"]] == [
        ("Customer events", False, "lab"), (None, True, None)]
    assert body["upstream"][1]["id"] is None and body["upstream"][1]["url"] is None
    # Someone who can see the other space sees the names.
    admin = api_as("org_admin", "read").get(api_url(trained)).json()
    assert {n["name"] for n in admin["upstream"]} == {"Customer events", HIDDEN}


# --- History, previous version and comparison --------------------------------------------

def test_the_previous_version_and_the_comparison_are_linked_and_summarised(world, client_as, api_as, first, trained):
    compare = reverse("modelrepo:version_compare", kwargs={"product_id": world.record.pk})
    compare += f"?a={first.pk}&b={trained.pk}"
    page = client_as("viewer").get(page_url(trained)).content.decode()
    assert compare.replace("&", "&amp;") in page and f'href="{page_url(first)}">1.0.0</a>' in page
    assert "1 of 1 metric changed" in page and "Files: 1 changed, 0 added, 0 removed, 0 unchanged" in page
    body = api_as("viewer", "read").get(api_url(trained)).json()
    assert body["previous_version"]["label"] == "1.0.0" and body["next_version"] is None
    comparison = body["comparison"]
    assert comparison["url"] == compare
    assert comparison["api_url"] == f"/api/v1.0/catalog/products/{world.record.pk}/model-versions/compare" \
        f"?a={first.pk}&b={trained.pk}"
    assert comparison["changed_metric_count"] == 1 and comparison["artifact_counts"]["changed"] == 1
    assert {"Commit", "Git tag", "Training run"} <= set(comparison["changed_fields"])
    assert "Label" not in comparison["changed_fields"]
    assert api_as("viewer", "read").get(api_url(first)).json()["next_version"]["label"] == "1.1.0"


def test_the_current_version_history_lists_the_moves_to_and_from_it(world, client_as, api_as, first, trained):
    version_services.version_make_current(actor=world.editor, product=world.record, version=first)
    version_services.version_make_current(actor=world.space_admin, product=world.record, version=trained,
                                          reason="Better recall.")
    body = api_as("viewer", "read").get(api_url(first)).json()
    assert body["is_current"] is False
    assert [(c["from_label"], c["to_label"]) for c in body["current_version_history"]] == [
        ("1.0.0", "1.1.0"), ("", "1.0.0")]
    page = client_as("viewer").get(page_url(trained)).content.decode()
    assert "This is the current version of Churn predictor." in page
    assert "made current (replacing 1.0.0)" in page and "Better recall." in page


def test_the_schema_documents_the_provenance_endpoint(db):
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1.0/catalog/products/{product_id}/model-versions/{version_id}/provenance"]["get"]
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/VersionProvenance"}
    assert {"401", "404"} <= set(operation["responses"])
    properties = schema["components"]["schemas"]["VersionProvenance"]["properties"]
    assert {"version", "training_run", "upstream", "change_requests", "release", "signature", "comparison"} <= set(
        properties)


# --- Bounded queries ---------------------------------------------------------------------

def grow(world, first, trained, n):
    """n more of the rows the page lists: sources, datasets, approving change requests with
    two reviews each, and moves of the current pointer (a released version's files are fixed)."""
    run = trained.training_run
    for i in range(n):
        source = dataset(world, f"Source {n}-{i}")
        lineage.edge_add(actor=world.editor, upstream=source, downstream=world.record)
        run.dataset_products.add(source)
        request = ChangeRequest.objects.create(
            product=world.record, requester=world.member, title=f"Release {i}", justification="x",
            changes=[{"field": "current_version", "old_value": None, "new_value": str(trained.pk)}],
            status=ChangeRequestStatus.APPLIED, applied_by=world.member, applied_at=timezone.now())
        for reviewer in (world.space_admin, world.org_admin):
            ChangeReview.objects.create(change_request=request, reviewer=reviewer, decision="approve")
        for version in (first, trained):
            version_services.version_make_current(actor=world.editor, product=world.record, version=version)


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


PAGE_QUERY_BOUND = 30  # 28 for the page today, about 20 for the endpoint


def test_the_page_and_the_endpoint_run_a_bounded_number_of_queries(world, client_as, api_as, first, trained,
                                                                  django_assert_max_num_queries):
    client, api = client_as("viewer"), api_as("viewer", "read")
    api.get(api_url(trained))  # the token's first use is recorded once
    grow(world, first, trained, 1)
    page_few, api_few = queries(client, page_url(trained)), queries(api, api_url(trained))
    grow(world, first, trained, 4)
    assert queries(client, page_url(trained)) == page_few
    assert queries(api, api_url(trained)) == api_few
    with django_assert_max_num_queries(PAGE_QUERY_BOUND):
        client.get(page_url(trained))
    with django_assert_max_num_queries(PAGE_QUERY_BOUND):
        api.get(api_url(trained))
