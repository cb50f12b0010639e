import pytest

from catalog import audit
from catalog.models import AuditChainHead, AuditEvent, AuditLogIsAppendOnly
from modelrepo import services
from tests.catalog.tamper import TABLE, db_id, tampering


def _chain(world):
    return audit.chain_of(world.org)


def test_events_form_a_gapless_hash_chain_per_organization(world):
    services.model_record_update(actor=world.editor, product=world.record, data={"description": "x"})
    events = list(AuditEvent.objects.filter(chain=_chain(world)).order_by("sequence"))
    assert [e.sequence for e in events] == list(range(1, len(events) + 1))
    for previous, event in zip(events, events[1:]):
        assert event.prev_hash == previous.hash
    assert audit.verify_chain(_chain(world)) == (len(events), None)


def test_events_cannot_be_changed_or_deleted_through_the_orm(world):
    event = AuditEvent.objects.first()
    event.action = "tampered"
    with pytest.raises(AuditLogIsAppendOnly):
        event.save()
    with pytest.raises(AuditLogIsAppendOnly):
        event.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEvent.objects.all().delete()


def test_verification_names_an_altered_event(world):
    event = AuditEvent.objects.filter(chain=_chain(world)).order_by("sequence").first()
    # Bypass the ORM guard the way a database-level tamperer would.
    with tampering() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET action = %s WHERE id = %s", ["forged", db_id(event.pk)])
    checked, broken = audit.verify_chain(_chain(world))
    assert broken == f"event {event.sequence} was altered (its hash does not match its content)"


def test_verification_detects_a_cut_tail(world):
    last = AuditEvent.objects.filter(chain=_chain(world)).order_by("-sequence").first()
    with tampering() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [db_id(last.pk)])
    checked, broken = audit.verify_chain(_chain(world))
    assert "events were removed" in broken
    assert AuditChainHead.objects.get(chain=_chain(world)).sequence == last.sequence


def test_events_snapshot_actor_ip_and_request_id_from_the_request(client_as, world):
    from common import request_context
    token = request_context.set_current(request_context.RequestContext(request_id="req-1", ip="127.0.0.9"))
    try:
        services.model_record_update(actor=world.editor, product=world.record, data={"description": "y"})
    finally:
        request_context.reset(token)
    event = AuditEvent.objects.filter(action="model_record.updated").get()
    assert (event.ip, event.request_id, event.actor_name, event.target_name) == ("127.0.0.9", "req-1", "editor", "Churn predictor")
