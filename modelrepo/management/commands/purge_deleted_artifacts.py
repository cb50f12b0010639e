"""``manage.py purge_deleted_artifacts [--older-than-days N]``: remove the stored bytes of
deleted artifacts now, rather than at beat's next hourly run; with ``--older-than-days 0``
also those still inside the retention period (a deletion that must take effect today)."""

from django.core.management.base import BaseCommand, CommandError

from modelrepo import artifacts


class Command(BaseCommand):
    help = ("Remove the stored bytes of artifacts deleted more than QARION_ARTIFACT_RETENTION_DAYS ago "
            "(or --older-than-days N); their rows stay as tombstones.")

    def add_arguments(self, parser):
        parser.add_argument("--older-than-days", type=int, default=None, metavar="N",
                            help="Purge artifacts deleted more than N days ago (0: every deleted artifact).")

    def handle(self, *args, older_than_days=None, **options):
        if older_than_days is not None and older_than_days < 0:
            raise CommandError("--older-than-days must be 0 or more.")
        purged = artifacts.artifact_purge_deleted(retention_days=older_than_days)
        self.stdout.write(f"Purged the stored bytes of {purged} deleted artifact(s).")
