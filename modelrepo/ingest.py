"""Artifact ingest: how an assembled file becomes an artifact. The upload path calls this
module and nothing else of the model repository's services.

``artifact_ingest_check`` refuses, before any bytes arrive, what ``artifact_ingest`` would
refuse at the end (an unknown kind, a version or training run of another record, a released
version, a duplicate file name, a make-current the change policy governs).

``artifact_ingest`` takes the finished file: detects its format, scans pickle-bearing files
by walking their opcodes (never loading them), moves the file into artifact storage, then in
one transaction records the artifact (one per source session), moves the current pointer
when asked and allowed, and audits. A make-current that the policy refuses by then (the
policy or the record's risk class changed while the bytes arrived, or the pickle rule,
judged only once the format is known) does not throw away a file that is fine to keep: the
artifact is recorded without moving the pointer and the result says why."""

import uuid
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from catalog.models import Product
from common.errors import DomainError, invalid
from modelrepo import formats, policy, rules, scanning, services, storage
from modelrepo.choices import ArtifactKind
from modelrepo.models import Artifact, ModelVersion, TrainingRun


@dataclass(frozen=True)
class IngestTarget:
    """Where the artifact will be attached, resolved and checked before the bytes arrive."""

    version: ModelVersion | None
    training_run: TrainingRun | None


@dataclass(frozen=True)
class Ingested:
    artifact: Artifact
    # Why make_current was not honoured, in the error format (code ``make_current_skipped``); else None.
    make_current_skipped: dict | None


def _optional_related(model, raw_id, product: Product, field: str):
    if raw_id in (None, ""):
        return None
    try:
        return model.objects.get(pk=uuid.UUID(str(raw_id)), product=product)
    except (ValueError, model.DoesNotExist):
        raise invalid({field: [f"No {model._meta.verbose_name} with this id exists on this record."]}) from None


def artifact_ingest_check(*, product: Product, file_name: str, kind, version_id=None, training_run_id=None,
                          make_current: bool = False) -> IngestTarget:
    if kind not in ArtifactKind.values:
        raise invalid({"artifact_kind": [f"Unknown kind; use one of: {', '.join(ArtifactKind.values)}."]})
    version = _optional_related(ModelVersion, version_id, product, "version_id")
    training_run = _optional_related(TrainingRun, training_run_id, product, "training_run_id")
    services.check_version_accepts_file(version=version, file_name=file_name, product=product)
    if make_current:
        policy.check_current_pointer(
            product, field="current_artifact", label=file_name, asked_by="make_current",
            hint="Upload the file without make_current, then propose it as the current artifact:")
    return IngestTarget(version=version, training_run=training_run)


def _inspect(staged: "storage.Staged | storage.Stored", size_bytes: int):
    """(format detection, scan result) of the finished bytes, wherever they are: a staged
    file on disk, or an object already in storage read by ranges."""
    if isinstance(staged, storage.Stored):
        with storage.artifact_store().open(staged.key) as handle:
            detection = formats.detect_file(handle, size_bytes)
            return detection, scanning.scan_file(handle, detection.format)
    detection = formats.detect_path(staged.path)
    return detection, scanning.scan_path(staged.path, detection.format)


def artifact_ingest(*, actor, product: Product, staged: "storage.Staged | storage.Stored | Path", source_session_id,
                    file_name: str,
                    content_type: str, size_bytes: int, sha256: str, kind: str, version: ModelVersion | None = None,
                    training_run: TrainingRun | None = None, make_current: bool = False, on_recorded=None) -> Ingested:
    """Record the artifact of the finished file ``staged`` (its ``sha256`` computed by the
    caller), stored under a key derived from ``source_session_id``.

    ``on_recorded(ingested)`` runs inside the transaction that records the artifact, so the
    caller's own bookkeeping commits with it or not at all; whatever it raises undoes the
    recording and leaves the stored bytes in place. A DomainError of the recording itself
    removes the stored bytes again, then propagates."""
    if not isinstance(staged, (storage.Staged, storage.Stored)):
        staged = storage.Staged(Path(staged))
    detection, scan = _inspect(staged, size_bytes)
    format_details = dict(detection.details or {})
    if detection.error:
        format_details["error"] = detection.error
    pickled = detection.format in scanning.PICKLE_FORMATS
    safety = scan.safety if pickled else formats.safety_for(detection)

    store = storage.artifact_store()
    key = store.save_staged(storage.key_for_session(source_session_id), staged)
    try:
        with transaction.atomic():
            safety_details = scan.details() if pickled else None
            candidate = Artifact(file_name=file_name, detected_format=detection.format, format_details=format_details,
                                 safety=safety, safety_details=safety_details)
            # An unsafe file is stored but never becomes current (modelrepo.rules).
            make_current = make_current and rules.artifact_current_refusal(candidate) is None
            refusal = _pointer_refusal(product, file_name, candidate) if make_current else None
            artifact = services.artifact_create_from_upload(
                actor=actor, product=product, session_id=source_session_id, file_name=file_name,
                content_type=content_type, size_bytes=size_bytes, sha256=sha256, kind=kind, version=version,
                training_run=training_run, storage_key=key, detected_format=detection.format,
                format_details=format_details, safety=safety, safety_details=safety_details,
                make_current=make_current and refusal is None,
            )
            ingested = Ingested(artifact, _make_current_skipped(product, artifact, refusal) if refusal else None)
            if on_recorded is not None:
                on_recorded(ingested)
    except DomainError:
        store.delete(key)
        raise
    return ingested


def _pointer_refusal(product: Product, file_name: str, candidate: Artifact) -> DomainError | None:
    try:
        policy.check_current_pointer(product, field="current_artifact", label=file_name, artifacts=[candidate])
    except DomainError as exc:
        return exc
    return None


def _make_current_skipped(product: Product, artifact: Artifact, refusal: DomainError) -> dict:
    details = {"reason": refusal.code}
    if isinstance(refusal, policy.ChangeRequestRequired):
        url = policy.change_request_url(product, {"current_artifact": str(artifact.pk)},
                                        title=f"Make {artifact.file_name} the current artifact")
        why = ("this space now requires an approved change request to move the current artifact of this "
               f"high-risk record. Propose it as the current artifact: {url}")
        details["change_request_url"] = url
    else:
        why = refusal.message
        details.update(refusal.details)
    return {"code": "make_current_skipped", "details": details,
            "message": f"{artifact.file_name} was uploaded but not made the current artifact: {why}"}
