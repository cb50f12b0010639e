"""The audit log keeps what was written (it is hash-chained), but a reader never sees the id of a
product they may not see: lineage events name the other product, and pages, the API and the
exports show it only to those who may see that product."""

import pytest

from catalog import access, audit, lineage
from catalog.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def hidden_upstream(world):
    """An edge from a product of the other space (the lab's admin cannot see it) into world.record."""
    lineage.edge_add(actor=world.org_admin, upstream=world.other_record, downstream=world.record)
    assert not access.can(world.space_admin, access.VIEW, world.other_record)
    return str(world.other_record.pk)


def test_the_stored_event_keeps_the_id_and_still_verifies(world, hidden_upstream):
    event = AuditEvent.objects.get(action="lineage.edge_added")
    assert event.changes["upstream"]["new"] == hidden_upstream
    assert audit.verify_chain(audit.chain_of(world.org))[1] is None


def test_readers_who_cannot_see_the_product_get_a_placeholder_in_memory_only(world, hidden_upstream):
    event = AuditEvent.objects.get(action="lineage.edge_added")
    [seen] = audit.redact([event], world.space_admin)
    assert seen.changes["upstream"]["new"] == audit.HIDDEN_PRODUCT
    assert AuditEvent.objects.get(pk=event.pk).changes["upstream"]["new"] == hidden_upstream
    [seen] = audit.redact([AuditEvent.objects.get(pk=event.pk)], world.org_admin)
    assert seen.changes["upstream"]["new"] == hidden_upstream


def test_the_activity_tab_the_audit_pages_the_api_and_the_exports_redact(world, hidden_upstream, client_as, api_as):
    pages = [f"/models/{world.record.pk}/activity/", "/s/lab/audit/", "/s/lab/audit/?export=csv",
             "/s/lab/audit/?export=jsonl"]
    api = ["/api/v1.0/audit/events?space=lab", "/api/v1.0/audit/events?space=lab&export=csv",
           "/api/v1.0/audit/events?space=lab&export=jsonl"]
    for url in pages:
        response = client_as("space_admin").get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code == 200, url
        assert hidden_upstream.encode() not in body and b"a product you cannot see" in body, url
    for url in api:
        response = api_as("space_admin").get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert response.status_code == 200, url
        assert hidden_upstream.encode() not in body and b"a product you cannot see" in body, url
    response = api_as("org_admin").get("/api/v1.0/audit/events?space=lab")
    assert hidden_upstream in response.content.decode()
