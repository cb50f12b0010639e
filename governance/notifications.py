"""E-mail notifications of the governance workflows: sent through Django's mail framework once
the transaction commits, so a mail failure never undoes the decision it reports."""

import logging

from django.core.mail import send_mail
from django.db import transaction

from catalog.choices import SpaceRole
from catalog.models import SpaceMembership

logger = logging.getLogger(__name__)


def send(subject: str, body: str, recipients) -> None:
    """E-mail ``recipients`` (users; those without an address or inactive are left out) once
    the transaction commits."""
    addresses = sorted({u.email for u in recipients if u.email and u.is_active})
    if not addresses:
        return

    def send():
        try:
            send_mail(subject, body, None, addresses, fail_silently=False)
        except Exception:  # noqa: BLE001 - delivery problems are logged, not raised into the request
            logger.exception("Could not send the notification %r", subject)

    transaction.on_commit(send)


def space_admins(space) -> list:
    """The space's admins, who decide its access requests and stand in for empty reviewer groups."""
    return [m.user for m in SpaceMembership.objects.filter(space=space, role=SpaceRole.ADMIN).select_related("user")]
