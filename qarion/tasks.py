"""Project-wide tasks that belong to no app."""

from celery import shared_task


@shared_task(name="qarion.tasks.ping")
def ping() -> str:
    """A no-op round trip: proves a worker takes tasks from the broker and stores results."""
    return "pong"
