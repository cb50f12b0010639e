"""Project package: settings, root URLs, the Celery app and the few shared bases
(error format, pagination, request context) that every app uses. No models."""

from .celery import app as celery_app

__all__ = ["celery_app"]
