"""``manage.py create_api_token USERNAME --name NAME --scope read|write [--expires-days N]``.

Prints the new token alone on standard output, so a script can capture it
(``TOKEN=$(python manage.py create_api_token alice --name ci --scope write)``); every
error goes to standard error with a non-zero exit status."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from catalog import services as catalog_services
from common.errors import DomainError


def positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = "Create an API token for a user and print it (shown once; only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("username", help="The user the token acts as.")
        parser.add_argument("--name", required=True, help="A name for the token, unique per user, such as 'ci'.")
        parser.add_argument("--scope", required=True, help="read (GET only) or write.")
        parser.add_argument("--expires-days", type=positive_int, default=None, metavar="N",
                            help="Expire the token after N days (default: never).")

    def handle(self, *args, username, name, scope, expires_days, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}; create the user first (manage.py createsuperuser).")
        if not user.is_active:
            raise CommandError(f"User {username!r} is disabled; a token of theirs would not authenticate.")
        expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
        try:
            _, secret = catalog_services.api_token_create(actor=user, name=name, scope=scope, expires_at=expires_at)
        except DomainError as exc:
            messages = []
            for field_messages in exc.details.values():
                messages.extend(field_messages if isinstance(field_messages, list) else [field_messages])
            raise CommandError(" ".join(map(str, messages)) or exc.message) from None
        self.stdout.write(secret)
