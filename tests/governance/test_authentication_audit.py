"""Logins, logouts and failed logins are audited, in the user's organization chain (or the
installation chain for an unknown name)."""

from catalog import audit
from catalog.models import AuditEvent
from tests.conftest import PASSWORD


def test_a_login_and_a_logout_are_audited_in_the_organization_chain(client, world):
    response = client.post("/accounts/login/", {"username": "editor", "password": PASSWORD})
    assert response.status_code == 302
    client.post("/accounts/logout/")
    events = AuditEvent.objects.filter(action__startswith="user.").order_by("sequence")
    assert [(e.action, e.actor_name, e.target_name, e.chain) for e in events] == [
        ("user.logged_in", "editor", "editor", audit.chain_of(world.org)),
        ("user.logged_out", "editor", "editor", audit.chain_of(world.org)),
    ]
    assert audit.verify_chain(audit.chain_of(world.org))[1] is None


def test_a_failed_login_is_audited_without_an_actor(client, world):
    client.post("/accounts/login/", {"username": "editor", "password": "wrong"})
    event = AuditEvent.objects.get(action="user.login_failed")
    assert (event.actor_id, event.target_name, event.target_id, event.chain) == (
        "", "editor", str(world.editor.pk), audit.chain_of(world.org))


def test_a_failed_login_of_an_unknown_name_goes_to_the_installation_chain(client, db):
    client.post("/accounts/login/", {"username": "nobody", "password": "wrong"})
    event = AuditEvent.objects.get(action="user.login_failed")
    assert (event.chain, event.target_name, event.target_id) == (audit.INSTALLATION_CHAIN, "nobody", "")
    assert audit.verify_chain(audit.INSTALLATION_CHAIN) == (1, None)
