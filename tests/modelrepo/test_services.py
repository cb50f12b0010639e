import pytest

from catalog.models import AuditEvent, Product
from common.errors import PermissionDenied, ValidationFailed
from modelrepo import services
from tests.conftest import make_record


def test_it_creates_a_record_with_details_and_one_audit_event(world):
    before = AuditEvent.objects.count()
    product = make_record(actor=world.editor, space=world.lab, name="Fraud Scorer", risk_classification="high",
                          tags=["Fraud", "fraud", "payments"])
    assert product.slug == "fraud-scorer"
    assert product.model_details.risk_classification == "high"
    assert sorted(product.tags.values_list("name", flat=True)) == ["fraud", "payments"]
    events = AuditEvent.objects.filter(target_id=str(product.pk))
    assert AuditEvent.objects.count() == before + 1
    event = events.get()
    assert event.action == "model_record.created"
    assert event.changes["risk_classification"] == {"old": None, "new": "high"}


def test_it_derives_a_free_slug_when_the_name_slug_is_taken(world):
    make_record(actor=world.editor, space=world.lab, name="Ranker")
    second = make_record(actor=world.editor, space=world.lab, name="Ranker!", )
    assert second.slug == "ranker-2"


def test_it_refuses_a_duplicate_name_in_the_same_space_whatever_the_case(world):
    with pytest.raises(ValidationFailed) as err:
        make_record(actor=world.editor, space=world.lab, name="churn PREDICTOR")
    assert "name" in err.value.details
    assert "already exists" in err.value.message


def test_it_refuses_a_viewer(world):
    with pytest.raises(PermissionDenied):
        make_record(actor=world.viewer, space=world.lab, name="Nope")
    assert not Product.objects.filter(name="Nope").exists()


def test_it_refuses_creates_past_the_space_limit_counting_only_active_records(world):
    world.lab.catalog_product_limit = 2
    world.lab.save()
    make_record(actor=world.editor, space=world.lab, name="Second")
    with pytest.raises(ValidationFailed) as err:
        make_record(actor=world.editor, space=world.lab, name="Third")
    assert err.value.code == "product_limit_reached"
    assert "limit of 2" in err.value.message
    services.model_record_update(actor=world.editor, product=world.record, data={"is_archived": True})
    make_record(actor=world.editor, space=world.lab, name="Third")


def test_it_records_old_and_new_values_on_update(world):
    services.model_record_update(actor=world.editor, product=world.record,
                                 data={"description": "Predicts churn", "deployment_status": "staging"}, tags=["churn", "crm"])
    event = AuditEvent.objects.filter(action="model_record.updated").get()
    assert event.changes["deployment_status"] == {"old": "development", "new": "staging"}
    assert event.changes["tags"] == {"old": ["churn"], "new": ["churn", "crm"]}
    assert event.actor_name == "editor"


def test_it_rejects_a_non_object_schema_and_a_bad_url(world):
    with pytest.raises(ValidationFailed) as err:
        make_record(actor=world.editor, space=world.lab, name="Bad", input_schema=[1, 2], serving_url="not a url")
    assert set(err.value.details) == {"input_schema", "serving_url"}


def test_it_refuses_a_data_product_type(world):
    with pytest.raises(ValidationFailed) as err:
        make_record(actor=world.editor, space=world.lab, name="A table", product_type="table")
    assert "product_type" in err.value.details
