"""Integrity scrubbing: re-hash stored artifacts and compare with the sha256 recorded when the
bytes arrived. The periodic task takes a bounded batch, oldest check first (never-checked
first of all), so every artifact comes round in turn; it is safe to overlap, since each
result is written with a conditional update on the integrity the run read."""

import contextlib
import hashlib
import logging
import mmap

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from catalog import audit
from modelrepo import storage
from modelrepo.choices import Integrity, UploadStatus
from modelrepo.models import Artifact

logger = logging.getLogger(__name__)

READ_SIZE = 8 * 1024 * 1024  # 8 MiB reads into a page-aligned buffer: the fastest hashing measured here


def hash_stored(artifact: Artifact) -> str | None:
    """The sha256 of ``artifact``'s stored bytes, or None when they are missing."""
    if not artifact.storage_key:
        return None
    digest = hashlib.sha256()
    buffer = mmap.mmap(-1, READ_SIZE)
    try:
        with contextlib.closing(storage.artifact_store().pieces(artifact.storage_key, buffer=buffer)) as pieces:
            for piece in pieces:
                digest.update(piece)
    except storage.BytesMissing:
        return None
    finally:
        buffer.close()
    return digest.hexdigest()


def _record(artifact: Artifact, integrity: str, actual: str | None, now) -> bool:
    with transaction.atomic():
        updated = Artifact.objects.filter(pk=artifact.pk, integrity=artifact.integrity).update(
            integrity=integrity, last_verified_at=now, updated_at=now,
        )
        first_good_check = integrity == Integrity.VERIFIED and not artifact.integrity
        if updated and integrity != artifact.integrity and not first_good_check:
            changes = {"integrity": {"old": artifact.integrity or None, "new": integrity},
                       "artifact_id": {"old": None, "new": str(artifact.pk)},
                       "file_name": {"old": None, "new": artifact.file_name}}
            if actual is not None:
                changes["sha256"] = {"old": artifact.sha256, "new": actual}
            audit.record(actor=None, action="artifact.integrity_changed", target=artifact.product, changes=changes)
            if integrity != Integrity.VERIFIED:
                logger.error("Artifact %s (%s) is %s.", artifact.pk, artifact.file_name, integrity)
    return bool(updated)


def scrub_artifact(artifact: Artifact, *, now=None) -> str:
    """Re-hash one artifact and record the result. Returns its integrity."""
    now = now or timezone.now()
    actual = hash_stored(artifact)
    if actual is None:
        integrity = Integrity.MISSING
    elif actual != artifact.sha256:
        integrity = Integrity.CORRUPTED
    else:
        integrity = Integrity.VERIFIED
    _record(artifact, integrity, actual, now)
    return integrity


def scrub_batch(*, batch_size: int | None = None, now=None) -> dict:
    """Re-hash up to ``batch_size`` stored artifacts, oldest check first. Returns counts by result."""
    batch_size = batch_size or settings.QARION_SCRUB_BATCH_SIZE
    due = (
        Artifact.objects.filter(deleted_at__isnull=True, upload_status=UploadStatus.COMPLETED)
        .exclude(storage_key="")
        .select_related("product__space__organization")
        .order_by(F("last_verified_at").asc(nulls_first=True), "pk")[:batch_size]
    )
    counts = {Integrity.VERIFIED.value: 0, Integrity.CORRUPTED.value: 0, Integrity.MISSING.value: 0}
    for artifact in due:
        counts[scrub_artifact(artifact, now=now)] += 1
    return counts
