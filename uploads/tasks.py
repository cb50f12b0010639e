"""Celery tasks of the upload path: ids in, re-fetch, claim, call a service; safe to run twice."""

import logging

from celery import shared_task
from django.conf import settings

from modelrepo import storage
from uploads import services

log = logging.getLogger(__name__)


# A task for an upload whose lease another worker holds looks again when that lease runs out,
# at most this many times (a live holder renews its lease and finishes first).
MAX_LEASE_WAITS = 20


@shared_task(name="uploads.tasks.assemble", acks_late=True, reject_on_worker_lost=True)
def assemble(session_id: str, waits: int = 0) -> None:
    retry_after = services.session_assemble(session_id)
    if retry_after is not None and waits < MAX_LEASE_WAITS and not settings.CELERY_TASK_ALWAYS_EAGER:
        assemble.apply_async((session_id, waits + 1), countdown=retry_after)


@shared_task(name="uploads.tasks.expire_sessions")
def expire_sessions() -> int:
    expired = services.expire_sessions()
    try:
        services.sweep_orphan_multipart_uploads()
    except storage.StoreUnavailable as exc:  # tried again at the next run
        log.warning("Could not sweep the bucket's orphaned multipart uploads: %s", exc)
    return expired


@shared_task(name="uploads.tasks.recover_assemblies")
def recover_assemblies(leased: bool = False) -> int:
    ids = services.recover_assemblies(leased=leased)
    for session_id in ids:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            services.session_assemble(session_id)
        else:
            assemble.delay(str(session_id))
    return len(ids)
