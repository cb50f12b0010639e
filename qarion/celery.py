import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qarion.settings")

app = Celery("qarion")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _reclaim_assemblies(sender=None, **kwargs):
    """A worker that starts takes over, at once, the assemblies whose worker died (their lease
    ran out) instead of waiting for beat's next recovery run."""
    sender.app.send_task("uploads.tasks.recover_assemblies")
