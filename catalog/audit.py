"""The audit recorder every service write calls, inside the write's transaction.

Events form one hash chain per organization: the chain head row is locked, the next
sequence is head + 1 (a database sequence would leave gaps that look like deleted events),
and the hash covers the canonical JSON of the stored fields plus the previous hash.
Imports only models and the access policy (to redact what a reader may not see), so any app
may call it."""

import hashlib
import json
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from catalog import access
from catalog.models import AuditChainHead, AuditEvent, Organization, Product, Space
from common import request_context

GENESIS_HASH = "0" * 64

# Sent once an event is stored, still inside the write's transaction, with ``event`` and
# ``target``: the one place where other work can follow every audited write. A receiver must
# not record audit events itself (each write appends exactly one).
recorded = Signal()


def _jsonable(value):
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1e16:
        # JSON writes such a float with an exponent (1.2e+24), PostgreSQL's jsonb gives it back
        # as the whole number it is; stored as that number, the event hashes the same after
        # the round trip.
        return int(Decimal(repr(value)))
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    return str(value)


def canonical_payload(event: AuditEvent) -> str:
    payload = {
        "chain": event.chain,
        "organization": str(event.organization_id) if event.organization_id else None,
        "sequence": event.sequence,
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_name": event.target_name,
        "space_id": event.space_id,
        "space_slug": event.space_slug,
        "changes": event.changes,
        "ip": event.ip,
        "request_id": event.request_id,
        "created_at": event.created_at.isoformat(),
        "prev_hash": event.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compute_hash(event: AuditEvent) -> str:
    return hashlib.sha256(canonical_payload(event).encode()).hexdigest()


def diff(old: dict, new: dict) -> dict:
    """``{field: {"old": .., "new": ..}}`` for the fields whose value changed."""
    return {
        key: {"old": _jsonable(old.get(key)), "new": _jsonable(new.get(key))}
        for key in new
        if _jsonable(old.get(key)) != _jsonable(new.get(key))
    }


INSTALLATION_CHAIN = "installation"


def chain_of(organization: Organization | None) -> str:
    return str(organization.pk) if organization is not None else INSTALLATION_CHAIN


def _scope_of(target) -> tuple[Organization | None, Space | None]:
    if isinstance(target, Organization):
        return target, None
    if isinstance(target, Space):
        return target.organization, target
    space = getattr(target, "space", None)
    if space is None and hasattr(target, "product"):
        space = target.product.space
    if space is None:
        return getattr(target, "organization", None), None
    return space.organization, space


def record(*, actor, action: str, target, changes: dict | None = None, target_name: str | None = None) -> AuditEvent:
    """Append one event for ``action`` on ``target`` (an organization, a space, a product,
    anything with a ``space`` or ``product``, or an installation-level object such as an API
    token). Runs inside the caller's transaction, so the event and the write commit together."""
    organization, space = _scope_of(target)
    chain = chain_of(organization)
    ctx = request_context.current()
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(chain=chain, defaults={"hash": GENESIS_HASH})
        event = AuditEvent(
            chain=chain,
            organization=organization,
            sequence=head.sequence + 1,
            actor_id=str(actor.pk) if actor is not None and actor.pk else "",
            actor_name=actor.get_username() if actor is not None and actor.pk else "system",
            action=action,
            target_type=target._meta.model_name,
            target_id=str(target.pk),
            target_name=(target_name if target_name is not None else str(target))[:300],
            space_id=str(space.pk) if space else "",
            space_slug=space.slug if space else "",
            changes=_jsonable(changes or {}),
            ip=ctx.ip,
            request_id=ctx.request_id,
            created_at=timezone.now(),
            prev_hash=head.hash,
        )
        event.hash = compute_hash(event)
        event.save(force_insert=True)
        AuditChainHead.objects.filter(pk=head.pk).update(sequence=event.sequence, hash=event.hash)
    recorded.send(sender=AuditEvent, event=event, target=target)
    return event


# Changes that name another product by its id, per action. The log keeps them as written (it
# is hash-chained); readers who may not see that product are shown HIDDEN_PRODUCT instead.
PRODUCT_REFERENCES = {"lineage.edge_added": ("upstream",), "lineage.edge_removed": ("upstream",)}
HIDDEN_PRODUCT = "(a product you cannot see)"


def _named_products(event) -> set[str]:
    names = set()
    for key in PRODUCT_REFERENCES.get(event.action, ()):
        change = (event.changes or {}).get(key)
        if isinstance(change, dict):
            names.update(str(value) for value in (change.get("old"), change.get("new")) if value)
    return names


def redact(events, user) -> list:
    """``events`` as ``user`` may read them: the products they name by id that ``user`` may not
    see are replaced by HIDDEN_PRODUCT (in memory only; nothing is saved)."""
    events = list(events)
    named = set().union(*(_named_products(event) for event in events)) if events else set()
    if not named:
        return events
    try:
        visible = {str(pk) for pk in access.restrict(Product.objects.filter(pk__in=named), user)
                   .values_list("pk", flat=True)}
    except (ValueError, DjangoValidationError):
        visible = set()
    hidden = named - visible
    for event in events:
        keys = PRODUCT_REFERENCES.get(event.action, ())
        if hidden & _named_products(event):
            event.changes = {
                key: {side: HIDDEN_PRODUCT if key in keys and str(value) in hidden else value
                      for side, value in change.items()} if isinstance(change, dict) else change
                for key, change in event.changes.items()}
    return events


def redacted_iterator(events, user, chunk_size: int = 1000):
    """Every event of the queryset ``events``, redacted for ``user``, read in chunks."""
    chunk = []
    for event in events.iterator(chunk_size=chunk_size):
        chunk.append(event)
        if len(chunk) == chunk_size:
            yield from redact(chunk, user)
            chunk = []
    yield from redact(chunk, user)


def product_events(product: Product):
    return AuditEvent.objects.filter(target_type="product", target_id=str(product.pk)).order_by("-created_at")


def verify_chain(chain: str) -> tuple[int, str | None]:
    """Walk one chain in sequence order; returns (events checked, description of the first
    broken link or None). Detects altered, removed, inserted events and a cut-off tail."""
    head = AuditChainHead.objects.filter(chain=chain).first()
    expected_prev, expected_seq, checked = GENESIS_HASH, 1, 0
    for event in AuditEvent.objects.filter(chain=chain).order_by("sequence").iterator(chunk_size=2000):
        if event.sequence != expected_seq:
            return checked, f"sequence {expected_seq} is missing (found {event.sequence} next)"
        if event.prev_hash != expected_prev:
            return checked, f"event {event.sequence} does not follow event {event.sequence - 1}"
        if compute_hash(event) != event.hash:
            return checked, f"event {event.sequence} was altered (its hash does not match its content)"
        expected_prev, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    if head is None:
        if checked:
            return checked, f"the chain has {checked} events but no stored head: the head was removed"
        return checked, None
    if head.sequence > checked:
        return checked, f"the chain ends at event {checked} but its head says {head.sequence}: events were removed"
    if head.sequence < checked:
        return checked, f"event {head.sequence + 1} follows the chain head (event {head.sequence}): events were inserted"
    if head.hash != expected_prev:
        return checked, f"event {checked} does not match the chain head's hash: the last event was replaced"
    return checked, None


def known_chains() -> list[str]:
    """Every chain that has a head or an event, in a stable order."""
    chains = set(AuditChainHead.objects.values_list("chain", flat=True))
    chains |= set(AuditEvent.objects.order_by().values_list("chain", flat=True).distinct())
    return sorted(chains)


def record_authentication(*, user, action: str, username: str = "", as_actor: bool = True) -> AuditEvent:
    """A login, logout or failed login. Goes to the chain of the user's organization (the
    first by name when several), or the installation chain for users in none and for
    failed logins of unknown names. A failed login has no actor (nobody signed in); its
    target is the account that was tried."""
    organization = None
    if user is not None and user.pk:
        organization = Organization.objects.filter(memberships__user=user).order_by("name", "slug").first()
    target = _AuthenticationTarget(user, organization, username)
    actor = user if as_actor and user is not None and user.pk else None
    return record(actor=actor, action=action, target=target,
                  target_name=target.name)


class _AuthenticationTarget:
    """Stands in for the target of an authentication event: the account (by name)."""

    class _meta:
        model_name = "user"

    def __init__(self, user, organization, username):
        self.pk = str(user.pk) if user is not None and user.pk else ""
        self.name = user.get_username() if user is not None and user.pk else username[:150]
        self.organization = organization
        self.space = None

    def __str__(self):
        return self.name
