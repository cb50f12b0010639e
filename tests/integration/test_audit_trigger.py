"""On PostgreSQL the audit table refuses UPDATE and DELETE at the database, below the ORM."""

import pytest
from django.db import DatabaseError, connection, transaction

from catalog import audit
from catalog.models import AuditEvent
from modelrepo import services

TABLE = AuditEvent._meta.db_table


@pytest.fixture
def event(world):
    services.model_record_update(actor=world.editor, product=world.record, data={"description": "trigger"})
    return AuditEvent.objects.filter(chain=audit.chain_of(world.org)).order_by("-sequence").first()


def test_an_update_on_the_audit_table_fails(event):
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"UPDATE {TABLE} SET action = %s WHERE id = %s", ["forged", str(event.pk)])
    assert AuditEvent.objects.get(pk=event.pk).action == "model_record.updated"


def test_a_delete_on_the_audit_table_fails(event):
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [str(event.pk)])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_inserts_still_work_and_the_chain_verifies(event, world):
    audit.record(actor=world.editor, action="product.viewed", target=world.record)
    assert audit.verify_chain(audit.chain_of(world.org))[1] is None


def test_there_is_no_truncate_trigger(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname, tgtype FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [TABLE]
        )
        triggers = cursor.fetchall()
    assert [name for name, _ in triggers] == ["governance_auditevent_append_only"]
    truncate_bit = 1 << 5
    assert all(not (tgtype & truncate_bit) for _, tgtype in triggers)
