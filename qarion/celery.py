import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qarion.settings")

app = Celery("qarion")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _reclaim_assemblies(sender=None, **kwargs):
    """A worker that starts looks at once at every assembly under way: those whose worker died
    are taken over when their lease runs out, without waiting for beat's next recovery run."""
    sender.app.send_task("uploads.tasks.recover_assemblies", kwargs={"leased": True})
