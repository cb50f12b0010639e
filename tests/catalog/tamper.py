"""Raw SQL on the audit table, the way someone with database access would tamper with it.
On PostgreSQL the append-only trigger is disabled for the test's transaction only (DDL is
transactional there, so it comes back when the test rolls back)."""

from contextlib import contextmanager

from django.db import connection

from catalog.models import AuditEvent

TABLE = AuditEvent._meta.db_table


def db_id(pk):
    return pk.hex if connection.vendor == "sqlite" else str(pk)


@contextmanager
def tampering():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER governance_auditevent_append_only")
        yield cursor
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER governance_auditevent_append_only")
