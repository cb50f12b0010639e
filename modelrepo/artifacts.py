"""Writes to artifacts other than creation from an upload (ingest.py, which records it with
services.artifact_create_from_upload): the current-artifact pointer, deletion (a tombstone),
external references, download events, integrity marks and the purge of deleted bytes.

Writes are atomic, permission-checked (``edit``) and audited on the product. Changes of the
current pointer go through ``services._set_current_artifact`` under ``services._lock_pointer``
and consult the space change policy first (``policy.check_current_pointer``): a governed
direct move is refused and goes through a change request, whose apply calls
``artifact_make_current`` with ``change_request=``."""

import logging
import re
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog import access, audit
from catalog.models import Product
from common.errors import Conflict, NotFound, PermissionDenied, invalid
from modelrepo import policy, rules, storage
from modelrepo.choices import ArtifactKind, DetectedFormat, Integrity, Safety, UploadStatus
from modelrepo.models import Artifact, ModelVersion, TrainingRun
from modelrepo.services import _lock_pointer, _set_current_artifact, authorise_change, check_version_accepts_file

logger = logging.getLogger(__name__)

# Schemes an external reference may use. The server never fetches the URI (no SSRF);
# it only hands http(s) URIs to clients as a redirect.
REFERENCE_SCHEMES = ("https", "http", "s3", "gs", "hf", "az", "abfs", "abfss")
REDIRECT_SCHEMES = ("https", "http")
MAX_URI_LENGTH = 2000
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
                         r"(\s*;\s*[A-Za-z0-9!#$&^_.+-]+=(\"[^\"\x00-\x1f]*\"|[A-Za-z0-9!#$&^_.+-]+))*\Z")


DENIED = "You can view this record but not change its artifacts; ask a space admin or the record's owner."


def _require_edit(actor, product: Product) -> None:
    if not access.can(actor, access.EDIT, product):
        raise PermissionDenied(DENIED)


def _locked_active(product: Product, artifact: Artifact) -> Artifact:
    current = Artifact.objects.active().filter(pk=artifact.pk, product=product).select_related("version").first()
    if current is None:
        raise NotFound("No artifact with this id exists on this record, or it was deleted.")
    return current


def artifact_make_current(*, actor, product: Product, artifact: Artifact, reason: str = "",
                          change_request=None) -> Artifact:
    """Mark ``artifact`` the record's current artifact. Already current: nothing changes.
    ``change_request``: the approved request this applies (see the module docstring)."""
    via = authorise_change(actor, product, change_request, denied=DENIED)
    with transaction.atomic():
        _lock_pointer(product)
        artifact = _locked_active(product, artifact)  # re-read under the lock: a concurrent delete must be seen
        if artifact.is_current:
            return artifact
        rules.refuse(rules.artifact_current_refusal(artifact))
        policy.check_current_pointer(product, field="current_artifact", value=str(artifact.pk), label=artifact.file_name,
                                     artifacts=[artifact], change_request=change_request)
        previous = _set_current_artifact(product, artifact)
        changes = {"current_artifact": {"old": previous.file_name if previous else None, "new": artifact.file_name},
                   "artifact_id": {"old": str(previous.pk) if previous else None, "new": str(artifact.pk)}, **via}
        if reason:
            changes["reason"] = {"old": None, "new": reason}
        audit.record(actor=actor, action="artifact.made_current", target=product, changes=changes)
    artifact.refresh_from_db()
    return artifact


def artifact_delete(*, actor, product: Product, artifact: Artifact) -> Artifact:
    """Remove ``artifact`` from the active list. The row stays as a tombstone; its bytes stay
    until ``artifact_purge_deleted`` runs past the retention period."""
    _require_edit(actor, product)
    with transaction.atomic():
        _lock_pointer(product)  # deleting the current artifact clears the pointer
        artifact = _locked_active(product, artifact)
        rules.refuse(rules.artifact_delete_refusal(artifact))
        now = timezone.now()
        was_current = artifact.is_current
        Artifact.objects.filter(pk=artifact.pk).update(deleted_at=now, deleted_by=actor, is_current=False, updated_at=now)
        changes = {"deleted": {"old": None, "new": artifact.file_name}, "artifact_id": {"old": None, "new": str(artifact.pk)}}
        if was_current:
            changes["current_artifact"] = {"old": artifact.file_name, "new": None}
        audit.record(actor=actor, action="artifact.deleted", target=product, changes=changes)
    artifact.refresh_from_db()
    return artifact


def _check_reference(data: dict) -> dict:
    errors = {}
    file_name = data.get("file_name") or ""
    problem = rules.file_name_problem(file_name)
    if problem:
        errors["file_name"] = [problem]
    uri = data.get("uri") or ""
    scheme = urlsplit(uri).scheme.lower() if uri and not _CONTROL.search(uri) and " " not in uri else ""
    if len(uri) > MAX_URI_LENGTH:
        errors["uri"] = [f"A URI is at most {MAX_URI_LENGTH} characters."]
    elif scheme not in REFERENCE_SCHEMES or not _has_location(uri):
        errors["uri"] = ["Give an absolute URI without spaces whose scheme is one of: " + ", ".join(REFERENCE_SCHEMES) + "."]
    sha256 = rules.normalise_sha256(data.get("sha256") or "")
    if sha256 is None:
        errors["sha256"] = [rules.SHA256_MESSAGE]
    size = data.get("size_bytes")
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        errors["size_bytes"] = ["Give the file's size in bytes, a positive whole number."]
    kind = data.get("kind") or ArtifactKind.OTHER
    if kind not in ArtifactKind.values:
        errors["kind"] = ["Use one of: " + ", ".join(ArtifactKind.values) + "."]
    content_type = (data.get("content_type") or "application/octet-stream").strip()
    if not _MEDIA_TYPE.match(content_type):
        errors["content_type"] = ["Give a media type such as application/octet-stream."]
    if errors:
        raise invalid(errors)
    return {"file_name": file_name, "uri": uri, "sha256": sha256, "size_bytes": size, "kind": kind,
            "content_type": content_type}


def _has_location(uri: str) -> bool:
    parts = urlsplit(uri)
    return bool(parts.netloc) and "@" not in parts.netloc  # no credentials in a stored reference


def artifact_register_reference(*, actor, product: Product, file_name: str, uri: str, size_bytes: int, sha256: str,
                                kind: str = ArtifactKind.OTHER, content_type: str = "application/octet-stream",
                                version: ModelVersion | None = None, training_run: TrainingRun | None = None,
                                make_current: bool = False) -> Artifact:
    """Register a file stored elsewhere. The URI is checked for shape only and never fetched.
    ``make_current`` where the space governs the current artifact is refused before anything
    is recorded: register the file, then propose it in a change request."""
    _require_edit(actor, product)
    clean = _check_reference({"file_name": file_name, "uri": uri, "sha256": sha256, "size_bytes": size_bytes,
                              "kind": kind, "content_type": content_type})
    if make_current:
        policy.check_current_pointer(
            product, field="current_artifact", label=clean["file_name"], asked_by="make_current",
            hint="Register the file without making it current, then propose it as the current artifact:")
    if training_run is not None and training_run.product_id != product.pk:
        raise invalid({"training_run_id": ["This training run belongs to another record."]})
    with transaction.atomic():
        check_version_accepts_file(version=version, file_name=clean["file_name"], product=product)
        artifact = Artifact(
            product=product, version=version, training_run=training_run, file_name=clean["file_name"],
            content_type=clean["content_type"], size_bytes=clean["size_bytes"], sha256=clean["sha256"],
            kind=clean["kind"], version_label=version.label if version else "", upload_status=UploadStatus.EXTERNAL,
            uploaded_by=actor, external_uri=clean["uri"], detected_format=DetectedFormat.UNKNOWN,
            safety=Safety.NOT_SCANNED,
        )
        try:
            with transaction.atomic():
                artifact.save(force_insert=True)
        except IntegrityError:
            raise Conflict(
                f"Version {version.label} already has a file named “{file_name}”; delete it first or use another name.",
                code="duplicate_file_name",
            ) from None
        changes = {"file_name": {"old": None, "new": artifact.file_name}, "uri": {"old": None, "new": artifact.external_uri},
                   "sha256": {"old": None, "new": artifact.sha256}, "size_bytes": {"old": None, "new": artifact.size_bytes},
                   "kind": {"old": None, "new": artifact.kind}, "version": {"old": None, "new": artifact.version_label or None}}
        if make_current:
            previous = _set_current_artifact(product, artifact)
            changes["current_artifact"] = {"old": previous.file_name if previous else None, "new": artifact.file_name}
        audit.record(actor=actor, action="artifact.registered", target=product, changes=changes)
    artifact.refresh_from_db()
    return artifact


def artifact_record_download(*, actor, artifact: Artifact, delivery: str, byte_range: str | None = None) -> None:
    """One audit event per download (the caller decides what counts as one)."""
    changes = {"downloaded": {"old": None, "new": artifact.file_name}, "artifact_id": {"old": None, "new": str(artifact.pk)},
               "sha256": {"old": None, "new": artifact.sha256}, "delivery": {"old": None, "new": delivery}}
    if byte_range:
        changes["range"] = {"old": None, "new": byte_range}
    audit.record(actor=actor, action="artifact.downloaded", target=artifact.product, changes=changes)


def artifact_mark_bytes_missing(*, artifact: Artifact) -> None:
    """The stored file of ``artifact`` is gone: say so once (the scrubbing task may restore it)."""
    with transaction.atomic():
        marked = (
            Artifact.objects.filter(pk=artifact.pk).exclude(integrity=Integrity.MISSING)
            .update(integrity=Integrity.MISSING, last_verified_at=timezone.now(), updated_at=timezone.now())
        )
        if marked:
            logger.error("Stored bytes of artifact %s (key %s) are missing.", artifact.pk, artifact.storage_key)
            audit.record(actor=None, action="artifact.integrity_changed", target=artifact.product,
                         changes={"integrity": {"old": artifact.integrity or None, "new": Integrity.MISSING},
                                  "artifact_id": {"old": None, "new": str(artifact.pk)}})
    artifact.integrity = Integrity.MISSING


def artifact_purge_deleted(*, now=None, batch_size: int = 200, retention_days: int | None = None) -> int:
    """Delete the stored bytes of artifacts deleted more than QARION_ARTIFACT_RETENTION_DAYS
    (or ``retention_days``: an operator purging sooner) ago and set ``purged_at``. Returns how
    many this run purged.

    Safe to overlap and to re-run: the bytes are removed first (removing them twice is
    harmless), then a conditional update on ``purged_at IS NULL`` claims the row, so exactly
    one run records the purge and a crash in between is finished by the next run rather
    than leaving bytes nobody will remove."""
    now = now or timezone.now()
    days = settings.QARION_ARTIFACT_RETENTION_DAYS if retention_days is None else retention_days
    cutoff = now - timedelta(days=days)
    due = Artifact.objects.filter(deleted_at__isnull=False, deleted_at__lt=cutoff, purged_at__isnull=True)
    purged, last_pk, store = 0, None, storage.artifact_store()
    while True:
        batch_qs = due.order_by("pk")
        if last_pk is not None:
            batch_qs = batch_qs.filter(pk__gt=last_pk)
        batch = list(batch_qs.select_related("product__space__organization")[:batch_size])
        if not batch:
            return purged
        last_pk = batch[-1].pk
        for artifact in batch:
            if artifact.storage_key and artifact.upload_status != UploadStatus.EXTERNAL:
                try:
                    store.delete(artifact.storage_key)
                except Exception:  # storage errors: leave the row for the next run
                    logger.exception("Could not purge the bytes of deleted artifact %s.", artifact.pk)
                    continue
            with transaction.atomic():
                claimed = (
                    Artifact.objects.filter(pk=artifact.pk, purged_at__isnull=True, deleted_at__lt=cutoff)
                    .update(purged_at=now)
                )
                if claimed:
                    audit.record(actor=None, action="artifact.purged", target=artifact.product,
                                 changes={"purged": {"old": None, "new": artifact.file_name},
                                          "artifact_id": {"old": None, "new": str(artifact.pk)}})
                    purged += 1


def artifact_record_scan(*, artifact: Artifact, safety: str, details: dict) -> None:
    """Store the pickle scan's verdict and findings (set once, when the artifact is assembled)."""
    Artifact.objects.filter(pk=artifact.pk).update(safety=safety, safety_details=details, updated_at=timezone.now())
    artifact.safety, artifact.safety_details = safety, details
