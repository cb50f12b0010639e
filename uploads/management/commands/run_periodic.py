"""Run the periodic work that Celery beat runs in the other shapes: expire upload
sessions, recover stalled assemblies, purge deleted artifacts' bytes.

Once (cron-style): ``python manage.py run_periodic``. On a timer beside ``make run``:
``python manage.py run_periodic --every 60``."""

import importlib
import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

log = logging.getLogger(__name__)


def _task(dotted: str):
    module, _, name = dotted.rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


class Command(BaseCommand):
    help = "Run the periodic tasks once, or every N seconds."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, help="Repeat every N seconds (0: run once).")
        parser.add_argument("--max-runs", type=int, default=0, help="Stop after this many runs (0: no limit).")

    def handle(self, *args, every, max_runs, **options):
        if every < 0 or max_runs < 0:
            raise CommandError("--every and --max-runs take positive numbers.")
        runs = 0
        while True:
            self.run_once()
            runs += 1
            if not every or (max_runs and runs >= max_runs):
                return
            time.sleep(every)

    def run_once(self):
        for entry in settings.CELERY_BEAT_SCHEDULE.values():
            task = _task(entry["task"])
            if task is None:
                continue
            try:
                result = task.run()
                self.stdout.write(f"{entry['task']}: {result}")
            except Exception:  # one failing task must not stop the others
                log.exception("Periodic task %s failed", entry["task"])
                self.stderr.write(f"{entry['task']}: failed (see the log)")
