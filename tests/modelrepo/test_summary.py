"""The repository summary of a record (version count, current version, current artifact):
in the record API, from the single-record selector, and in bulk for list pages."""

import pytest

from modelrepo import selectors
from modelrepo import versions as version_services
from modelrepo.models import ModelVersion
from tests.conftest import make_record
from tests.modelrepo.test_artifacts_api import artifact_root, store_artifact, stored  # noqa: F401

API = "/api/v1.0/catalog/products"


def test_a_new_record_has_an_empty_summary(world, api_as):
    summary = api_as("viewer").get(f"{API}/{world.record.pk}/model-repository").json()["summary"]
    assert summary == {"version_count": 0, "current_version": None, "current_artifact": None}


def test_the_record_api_summary_follows_the_current_version_and_artifact(world, api_as, stored):
    client = api_as("editor")
    v1 = client.post(f"{API}/{world.record.pk}/model-versions", {"label": "1.0.0"}, format="json").json()
    v2 = client.post(f"{API}/{world.record.pk}/model-versions", {"label": "1.1.0", "kind": "minor"},
                     format="json").json()
    client.post(f"{API}/{world.record.pk}/model-versions/{v1['id']}/make-current", {}, format="json")
    weights = stored(b"w" * 64, file_name="model.safetensors", kind="weights", make_current=True)
    card = stored(b"# card", file_name="README.md", kind="model_card", content_type="text/markdown")

    summary = client.get(f"{API}/{world.record.pk}/model-repository").json()["summary"]
    assert summary["version_count"] == 2
    assert summary["current_version"]["id"] == v1["id"]
    assert summary["current_version"]["label"] == "1.0.0"
    assert summary["current_artifact"] == {
        "id": str(weights.pk), "file_name": "model.safetensors", "kind": "weights",
        "content_type": "application/octet-stream", "detected_format": "safetensors", "sha256": weights.sha256,
        "size_bytes": 64,
    }

    client.post(f"{API}/{world.record.pk}/model-versions/{v2['id']}/make-current", {}, format="json")
    client.post(f"{API}/{world.record.pk}/model-artifacts/{card.pk}/make-current", {}, format="json")
    summary = client.get(f"{API}/{world.record.pk}/model-repository").json()["summary"]
    assert summary["current_version"]["label"] == "1.1.0"
    assert summary["current_artifact"]["file_name"] == "README.md"

    client.delete(f"{API}/{world.record.pk}/model-artifacts/{card.pk}")
    summary = client.get(f"{API}/{world.record.pk}/model-repository").json()["summary"]
    assert summary["current_artifact"] is None


def test_the_selector_gives_kind_and_status_of_the_current_version(world):
    version = ModelVersion.objects.create(product=world.record, label="3.0.0", kind="major")
    version_services.version_make_current(actor=world.editor, product=world.record, version=version)
    summary = selectors.repository_summary(world.record)
    assert summary["current_version"] == {"id": version.pk, "label": "3.0.0", "kind": "major", "status": "draft",
                                         "deprecated": False, "yanked": False}


@pytest.mark.parametrize("count", [1, 6])
def test_attach_summaries_reads_a_page_in_two_queries_whatever_its_size(world, artifact_root,
                                                                        django_assert_num_queries, count):
    products = [world.record] + [make_record(actor=world.editor, space=world.lab, name=f"Model {i}")
                                 for i in range(count - 1)]
    for index, product in enumerate(products):
        for n in range(index % 3):
            version = ModelVersion.objects.create(product=product, label=f"{n}.0")
            version_services.version_make_current(actor=world.editor, product=product, version=version)
        if index % 2 == 0:
            store_artifact(product, world.editor, bytes([index]) * 8, make_current=True)
    expected = {p.pk: selectors.repository_summary(p) for p in products}

    page = list(selectors.model_record_list(user=world.viewer).filter(pk__in=[p.pk for p in products]))
    with django_assert_num_queries(2):
        selectors.attach_summaries(page)
    with django_assert_num_queries(0):
        summaries = {p.pk: selectors.repository_summary(p) for p in page}
    assert summaries == expected
    assert any(s["current_artifact"] for s in summaries.values())


def test_attach_summaries_of_an_empty_page_costs_nothing(django_assert_num_queries, db):
    with django_assert_num_queries(0):
        selectors.attach_summaries([])


def test_the_summary_flags_a_deprecated_current_version(api_as, world):
    from modelrepo import versions as version_services
    from modelrepo.models import ModelVersion
    version = version_services.version_create(actor=world.editor, product=world.record, data={"label": "2.0"})
    version_services.version_make_current(actor=world.editor, product=world.record, version=version)
    ModelVersion.objects.filter(pk=version.pk).update(deprecated=True, deprecation_reason="superseded")
    body = api_as("viewer").get(f"/api/v1.0/catalog/products/{world.record.pk}/model-repository").json()
    assert body["summary"]["current_version"]["label"] == "2.0"
    assert body["summary"]["current_version"]["deprecated"] is True
    assert body["summary"]["current_version"]["yanked"] is False
