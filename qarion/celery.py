import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qarion.settings")

app = Celery("qarion")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
