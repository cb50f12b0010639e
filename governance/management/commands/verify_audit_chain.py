"""Walks the audit hash chains and reports the first broken link of each."""

from django.core.management.base import BaseCommand, CommandError

from catalog import audit
from catalog.models import Organization


class Command(BaseCommand):
    help = (
        "Verify the audit log's hash chains (every chain, or one organization's). Prints the number of "
        "events checked; exits non-zero naming the first broken link when an event was altered, removed "
        "or inserted, or the tail was cut."
    )

    def add_arguments(self, parser):
        parser.add_argument("--organization", metavar="SLUG", help="Verify only this organization's chain.")

    def handle(self, *args, organization=None, **options):
        if organization:
            org = Organization.objects.filter(slug=organization).first()
            if org is None:
                raise CommandError(f"No organization with the slug “{organization}”.")
            chains = [(audit.chain_of(org), f"organization {org.slug}")]
        else:
            names = dict((str(pk), slug) for pk, slug in Organization.objects.values_list("pk", "slug"))
            chains = [
                (chain, "installation" if chain == audit.INSTALLATION_CHAIN else f"organization {names.get(chain, chain)}")
                for chain in audit.known_chains()
            ]
        total, broken = 0, []
        for chain, label in chains:
            checked, problem = audit.verify_chain(chain)
            total += checked
            if problem:
                broken.append(f"{label} (chain {chain}): {problem}")
                self.stdout.write(f"{label}: {checked} events checked before the first broken link")
            else:
                self.stdout.write(f"{label}: {checked} events checked, chain intact")
        self.stdout.write(f"{total} events checked in {len(chains)} chain(s).")
        if broken:
            raise CommandError("Broken audit chain: " + "; ".join(broken))
