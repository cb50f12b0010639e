"""Reads of the audit log for its pages and exports: the space and organization logs, restricted
by the access policy, and their CSV and JSON Lines lines."""

import csv
import json

from django.db.models import QuerySet

from catalog import access, audit
from catalog.models import AuditEvent, Organization, Space
from common.errors import PermissionDenied

EXPORT_FIELDS = (
    "sequence", "created_at", "actor_id", "actor_name", "action", "target_type", "target_id", "target_name",
    "space_id", "space_slug", "changes", "ip", "request_id", "prev_hash", "hash",
)


def space_audit_events(*, user, space: Space) -> QuerySet:
    """The space's audit events, newest first; space admins and org admins only."""
    if not access.can(user, access.MANAGE, space):
        raise PermissionDenied("Only space admins and organization admins can read the space's audit log.")
    return AuditEvent.objects.filter(space_id=str(space.pk)).order_by("-created_at", "-sequence")


def organization_audit_events(*, user, organization: Organization) -> QuerySet:
    """Every event of the organization's chain, newest first; org admins only."""
    if not access.can(user, access.MANAGE, organization):
        raise PermissionDenied("Only organization admins can read the organization's audit log.")
    return AuditEvent.objects.filter(organization_id=organization.pk).order_by("-created_at", "-sequence")


def _export_row(event: AuditEvent) -> dict:
    row = {name: getattr(event, name) for name in EXPORT_FIELDS}
    row["created_at"] = event.created_at.isoformat()
    return row


class _Echo:
    def write(self, value):
        return value


def csv_lines(events: QuerySet, user):
    """CSV text, one line at a time, reading the events in chunks (never all at once), as
    ``user`` may read them (catalog.audit.redact)."""
    writer = csv.writer(_Echo())
    yield writer.writerow(EXPORT_FIELDS)
    for event in audit.redacted_iterator(events, user):
        row = _export_row(event)
        row["changes"] = json.dumps(row["changes"], sort_keys=True, ensure_ascii=False)
        yield writer.writerow([_csv_safe(row[name]) for name in EXPORT_FIELDS])


def _csv_safe(value):
    # A cell starting with = + - @ would run as a formula in a spreadsheet.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def jsonl_lines(events: QuerySet, user):
    for event in audit.redacted_iterator(events, user):
        yield json.dumps(_export_row(event), sort_keys=True, ensure_ascii=False) + "\n"
