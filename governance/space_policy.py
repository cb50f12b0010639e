"""Editing a space's change policy: space admins and organization admins turn the rules of
``governance.policy`` on or off. The policy governs updates, never creation."""

from django.db import transaction

from catalog import access, audit
from catalog.models import Space
from common.errors import PermissionDenied, invalid
from modelrepo import policy


def space_change_policy_update(*, actor, space: Space, rules: dict) -> dict[str, bool]:
    """Set the rules named in ``rules`` ({rule name: bool}); rules not named keep their value.
    Answers every rule with its new value. One audit event with old → new per changed rule
    (none when nothing changed)."""
    if not access.can(actor, access.MANAGE, space):
        raise PermissionDenied("Only space admins and organization admins change the space's change policy.")
    known = ", ".join(policy.RULE_LABELS)
    errors = {name: [f"Unknown rule; the rules are: {known}."] for name in rules if name not in policy.RULE_LABELS}
    errors.update({name: ["Must be true or false."] for name, value in rules.items()
                   if name in policy.RULE_LABELS and not isinstance(value, bool)})
    if errors:
        raise invalid(errors)
    with transaction.atomic():
        locked = Space.objects.select_for_update().get(pk=space.pk)
        old = policy.rules(locked)
        new = {**old, **rules}
        changes = audit.diff(old, new)
        if changes:
            stored = locked.change_policy if isinstance(locked.change_policy, dict) else {}
            locked.change_policy = {**stored, **new}
            locked.save(update_fields=["change_policy"])
            audit.record(actor=actor, action="space.change_policy_updated", target=locked, changes=changes)
    space.change_policy = locked.change_policy
    return new
