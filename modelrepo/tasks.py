"""Periodic work of the model repository. Tasks take primitive arguments, re-read what they
need, and are safe to run twice or to overlap."""

from celery import shared_task

from modelrepo import artifacts


@shared_task(name="modelrepo.tasks.purge_deleted_artifacts", acks_late=True, ignore_result=True)
def purge_deleted_artifacts(batch_size: int = 200) -> int:
    """Remove the stored bytes of artifacts deleted more than QARION_ARTIFACT_RETENTION_DAYS
    ago (their rows stay as tombstones, with ``purged_at`` set). Returns how many were purged."""
    return artifacts.artifact_purge_deleted(batch_size=batch_size)


@shared_task(name="modelrepo.tasks.scrub_artifacts", acks_late=True, ignore_result=True)
def scrub_artifacts(batch_size: int | None = None) -> dict:
    """Re-hash a bounded batch of stored artifacts (oldest check first) and record each
    result: ``verified``, ``corrupted`` or ``missing`` (audited when it changes)."""
    from modelrepo import scrub

    return scrub.scrub_batch(batch_size=batch_size)
