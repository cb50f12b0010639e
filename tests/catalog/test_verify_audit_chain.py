"""``verify_audit_chain``: passes on an untouched chain and names the first broken link after
each kind of tampering (done with raw SQL, as someone with database access would)."""

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from catalog import audit
from catalog.choices import SpaceRole
from catalog.models import AuditChainHead, AuditEvent, Organization, SpaceMembership
from modelrepo import services
from tests.conftest import make_user
from tests.catalog.tamper import TABLE, db_id, tampering


@pytest.fixture
def chain(world):
    for n in range(4):
        services.model_record_update(actor=world.editor, product=world.record, data={"description": f"v{n}"})
    return audit.chain_of(world.org)


def _events(chain):
    return list(AuditEvent.objects.filter(chain=chain).order_by("sequence"))


def _run(*args):
    from io import StringIO
    out = StringIO()
    call_command("verify_audit_chain", *args, stdout=out)
    return out.getvalue()


def _broken(*args) -> str:
    with pytest.raises(CommandError) as excinfo:
        _run(*args)
    return str(excinfo.value)


def test_it_passes_on_an_untouched_chain_and_prints_the_events_checked(chain, world):
    count = AuditEvent.objects.filter(chain=chain).count()
    output = _run("--organization", "acme")
    assert f"organization acme: {count} events checked, chain intact" in output
    everything = _run()
    assert f"{AuditEvent.objects.count()} events checked" in everything


def test_it_names_an_altered_event(chain, world):
    target = _events(chain)[2]
    with tampering() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET actor_name = %s WHERE id = %s", ["someone-else", db_id(target.pk)])
    message = _broken("--organization", "acme")
    assert f"event {target.sequence} was altered" in message


def test_it_names_an_altered_event_even_when_its_hash_was_recomputed(chain, world):
    events = _events(chain)
    target = events[1]
    target.changes = {"forged": {"old": None, "new": "yes"}}
    forged_hash = audit.compute_hash(target)
    with tampering() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET changes = %s, hash = %s WHERE id = %s",
                       ['{"forged": {"old": null, "new": "yes"}}', forged_hash, db_id(target.pk)])
    assert f"event {target.sequence + 1} does not follow event {target.sequence}" in _broken("--organization", "acme")


def test_it_names_a_removed_event(chain, world):
    target = _events(chain)[2]
    with tampering() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [db_id(target.pk)])
    assert f"sequence {target.sequence} is missing" in _broken("--organization", "acme")


def test_it_names_an_inserted_event(chain, world):
    events = _events(chain)
    position = events[2].sequence
    with tampering() as cursor:
        for event in reversed(events[2:]):  # make room, one row at a time (unique sequence)
            cursor.execute(f"UPDATE {TABLE} SET sequence = sequence + 1 WHERE id = %s", [db_id(event.pk)])
    forged = AuditEvent(chain=chain, organization=world.org, sequence=position, actor_id="", actor_name="ghost",
                        action="product.created", target_type="product", target_id="x", target_name="x",
                        created_at=events[2].created_at, prev_hash=events[1].hash)
    forged.hash = audit.compute_hash(forged)
    forged.save(force_insert=True)
    assert f"event {position + 1} does not follow event {position}" in _broken("--organization", "acme")


def test_it_names_an_event_appended_behind_the_chain_head(chain, world):
    last = _events(chain)[-1]
    forged = AuditEvent(chain=chain, organization=world.org, sequence=last.sequence + 1, actor_name="ghost",
                        action="product.created", target_type="product", target_id="x", target_name="x",
                        created_at=last.created_at, prev_hash=last.hash)
    forged.hash = audit.compute_hash(forged)
    forged.save(force_insert=True)
    assert f"event {last.sequence + 1} follows the chain head" in _broken("--organization", "acme")


def test_it_names_a_cut_tail(chain, world):
    events = _events(chain)
    with tampering() as cursor:
        for event in events[-2:]:
            cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [db_id(event.pk)])
    message = _broken("--organization", "acme")
    assert f"the chain ends at event {len(events) - 2} but its head says {len(events)}" in message
    assert "organization acme" in message


def test_it_names_a_replaced_last_event(chain, world):
    events = _events(chain)
    last = events[-1]
    last.action = "forged"
    forged_hash = audit.compute_hash(last)
    with tampering() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET action = %s, hash = %s WHERE id = %s", ["forged", forged_hash, db_id(last.pk)])
    assert f"event {last.sequence} does not match the chain head" in _broken("--organization", "acme")


def test_without_an_organization_it_checks_every_chain_and_fails_on_any(chain, world):
    other = Organization.objects.create(slug="globex", name="Globex")
    audit.record(actor=None, action="organization.created", target=other)
    target = _events(chain)[0]
    with tampering() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET target_name = %s WHERE id = %s", ["x", db_id(target.pk)])
    assert "organization globex: 1 events checked, chain intact" in _run("--organization", "globex")
    assert "organization acme" in _broken()


def test_an_unknown_organization_is_an_error(db):
    assert "No organization" in _broken("--organization", "nope")


def test_deleting_a_user_leaves_their_events_intact_and_verifiable(chain, world):
    leaver = make_user("leaver")
    SpaceMembership.objects.create(user=leaver, space=world.lab, role=SpaceRole.EDITOR)
    services.model_record_update(actor=leaver, product=world.record, data={"description": "by the leaver"})
    leaver_id = str(leaver.pk)
    leaver.delete()
    events = AuditEvent.objects.filter(actor_id=leaver_id)
    assert [(e.actor_name, e.action) for e in events] == [("leaver", "model_record.updated")]
    assert audit.verify_chain(chain)[1] is None
    assert "chain intact" in _run("--organization", "acme")
    assert AuditChainHead.objects.get(chain=chain).sequence == AuditEvent.objects.filter(chain=chain).count()


@pytest.mark.parametrize("flops", [1.2e24, 3e16, 2.5e25])
def test_a_huge_float_in_a_change_verifies_after_the_round_trip_through_the_database(world, flops):
    # JSON writes 1.2e24 as 1.2e+24; PostgreSQL's jsonb gives it back as 1200000000000000000000000.
    services.model_record_update(actor=world.editor, product=world.record, data={"training_compute_flops": flops})
    event = AuditEvent.objects.filter(action="model_record.updated").latest("sequence")
    assert event.changes["training_compute_flops"]["new"] == int(Decimal(repr(flops)))
    assert audit.verify_chain(audit.chain_of(world.org))[1] is None
    assert "chain intact" in _run("--organization", world.org.slug)
