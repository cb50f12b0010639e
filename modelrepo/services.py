"""Writes to model repository records (an AI/ML product plus its model details)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog import access, audit
from catalog import services as catalog_services
from catalog.choices import AI_PRODUCT_TYPES
from catalog.models import Product, Space
from common.errors import Conflict, PermissionDenied, ValidationFailed, invalid
from modelrepo import policy, rules
from modelrepo.choices import UploadStatus
from modelrepo.models import FIELD_GROUPS, Artifact, ModelDetails, ModelVersion

RECORD_DENIED = "You can view this record but not change it; ask a space admin or the record's owner."
DETAIL_FIELDS = tuple(field for group in FIELD_GROUPS.values() for field in group)
PRODUCT_FIELDS = catalog_services.PRODUCT_FIELDS


def split_fields(data: dict) -> tuple[dict, dict]:
    """Split a flat record into (product fields, model-details fields)."""
    product = {k: v for k, v in data.items() if k in PRODUCT_FIELDS}
    details = {k: v for k, v in data.items() if k in DETAIL_FIELDS}
    unknown = set(data) - set(product) - set(details)
    if unknown:
        raise invalid({name: ["Unknown field."] for name in sorted(unknown)})
    return product, details


def _check_product_type(product_type) -> None:
    if product_type is not None and product_type not in AI_PRODUCT_TYPES:
        allowed = ", ".join(AI_PRODUCT_TYPES)
        raise invalid({"product_type": [f"The model repository holds AI/ML types only: {allowed}."]})


def _details_snapshot(details: ModelDetails) -> dict:
    return {f: getattr(details, f) for f in DETAIL_FIELDS}


def _clean_details(details: ModelDetails) -> dict:
    try:
        details.full_clean(exclude=["product"], validate_unique=False)
    except DjangoValidationError as exc:
        return catalog_services.validation_error_details(exc)
    return {}


def model_record_create(*, actor, space: Space, data: dict, tags=None) -> Product:
    """Create a model record (product + model details) in ``space``; one audit event."""
    product_data, details_data = split_fields(data)
    product_data.setdefault("product_type", AI_PRODUCT_TYPES[0].value)
    _check_product_type(product_data["product_type"])
    details_errors = _clean_details(ModelDetails(**details_data))

    def create_details(product: Product) -> dict:
        details = ModelDetails.objects.create(product=product, **details_data)
        return {k: {"old": None, "new": v} for k, v in _details_snapshot(details).items()}

    if details_errors:
        # Report product and details errors together where we can.
        if not access.can(actor, access.CREATE_PRODUCT, space):
            raise PermissionDenied(f"You cannot create records in space {space.slug}; ask a space admin for editor access.")
        raise invalid(details_errors)
    return catalog_services.product_create(
        actor=actor, space=space, data=product_data, tags=tags, audit_action="model_record.created", extend=create_details
    )


def model_record_update(*, actor, product: Product, data: dict, tags=None, change_request=None) -> Product:
    """Update any subset of a record's product and model-details fields; one audit event
    with old → new for what changed (none when nothing did). ``change_request``: the approved
    request this applies (it stands in for edit access and the change policy, and is named
    in the audit event)."""
    via = authorise_change(actor, product, change_request, denied=RECORD_DENIED)
    if change_request is None:
        policy.check_update(product, data)
    product_data, details_data = split_fields(data)
    if "product_type" in product_data:
        _check_product_type(product_data["product_type"])
    with transaction.atomic():
        product = Product.objects.select_for_update().select_related("space__organization").get(pk=product.pk)
        details, _ = ModelDetails.objects.get_or_create(product=product)
        old_details = _details_snapshot(details)
        for field, value in details_data.items():
            setattr(details, field, value)
        details_errors = _clean_details(details)
        if details_errors:
            raise invalid(details_errors)
        changes = catalog_services.product_apply_update(actor=actor, product=product, data=product_data, tags=tags)
        details.save()
        changes.update(audit.diff(old_details, _details_snapshot(details)))
        if changes:
            if not product_data:
                # Details-only edits still move the record's updated_at.
                product.save(update_fields=["updated_at"])
            audit.record(actor=actor, action="model_record.updated", target=product, changes={**changes, **via})
    return product


def model_record_snapshot(product: Product) -> dict:
    data = catalog_services.product_snapshot(product)
    data.update(_details_snapshot(product.model_details))
    return data


# --- Artifacts ---------------------------------------------------------------------------

def check_version_accepts_file(*, version: ModelVersion | None, file_name: str, product: Product) -> None:
    """Refuse early (before any bytes arrive) what artifact creation would refuse later."""
    if version is None:
        return
    if version.product_id != product.pk:
        raise invalid({"version_id": ["This version belongs to another record."]})
    rules.refuse(rules.version_edit_refusal(version))
    if Artifact.objects.active().filter(version=version, file_name=file_name).exists():
        raise Conflict(
            f"Version {version.label} already has a file named “{file_name}”; delete it first or use another name.",
            code="duplicate_file_name",
        )


def authorise_change(actor, product: Product, change_request, *, denied: str) -> dict:
    """Who may release or move a pointer: an editor directly, or the one applying an approved
    ``change_request`` of this record (the approval stands in for the editor's access and for
    the change policy; ``change_request_apply`` checks who may apply). Returns the audit
    entry naming the change request, empty for a direct action."""
    if change_request is None:
        if not access.can(actor, access.EDIT, product):
            raise PermissionDenied(denied)
        return {}
    if change_request.product_id != product.pk or change_request.status != "approved":
        raise PermissionDenied("Only an approved change request of this record can apply this change.")
    return {"change_request": {"old": None, "new": str(change_request.pk)}}


def _lock_pointer(product: Product) -> ModelDetails:
    # Every change of a current pointer locks the product's details row first, so two
    # concurrent make-current calls serialise instead of colliding on the constraint.
    details, _ = ModelDetails.objects.get_or_create(product=product)
    return ModelDetails.objects.select_for_update().get(pk=details.pk)


def _set_current_artifact(product: Product, artifact: Artifact) -> Artifact | None:
    _lock_pointer(product)
    previous = Artifact.objects.active().filter(product=product, is_current=True).exclude(pk=artifact.pk).first()
    if previous is not None:
        Artifact.objects.filter(pk=previous.pk).update(is_current=False, updated_at=timezone.now())
    try:
        with transaction.atomic():
            Artifact.objects.filter(pk=artifact.pk).update(is_current=True, updated_at=timezone.now())
    except IntegrityError:
        raise Conflict("Another change of the current artifact happened at the same time; try again.") from None
    artifact.is_current = True
    return previous


def artifact_create_from_upload(*, actor, product: Product, session_id, file_name: str, content_type: str,
                                size_bytes: int, sha256: str, kind: str, version: ModelVersion | None,
                                training_run, storage_key: str, detected_format: str, format_details: dict,
                                safety: str, make_current: bool, safety_details: dict | None = None) -> Artifact:
    """Record the artifact of a completed upload session (one per session: a retry after a
    crash finds the row the first attempt created). Runs in the caller's transaction.
    ``make_current`` is subject to the change policy like any move of the current artifact;
    the ingest checks it first and attaches the file without moving the pointer when the
    policy refuses (``modelrepo.ingest.artifact_ingest``)."""
    from modelrepo import storage

    existing = Artifact.objects.filter(source_session_id=session_id).first()
    if existing is not None:
        return existing
    check_version_accepts_file(version=version, file_name=file_name, product=product)
    artifact = Artifact(
        product=product, version=version, training_run=training_run, file_name=file_name, content_type=content_type,
        size_bytes=size_bytes, sha256=sha256, kind=kind, version_label=version.label if version else "",
        upload_status=UploadStatus.COMPLETED, uploaded_by=actor, storage_backend=storage.backend_name(),
        storage_key=storage_key, source_session_id=session_id, detected_format=detected_format,
        format_details=format_details, integrity="verified", last_verified_at=timezone.now(), safety=safety,
        safety_details=safety_details or {},
    )
    if make_current:
        policy.check_current_pointer(product, field="current_artifact", label=file_name, artifacts=[artifact])
    artifact.save(force_insert=True)
    changes = {"file_name": {"old": None, "new": file_name}, "sha256": {"old": None, "new": sha256},
               "size_bytes": {"old": None, "new": size_bytes}, "kind": {"old": None, "new": kind},
               "version": {"old": None, "new": artifact.version_label or None}}
    if make_current:
        previous = _set_current_artifact(product, artifact)
        changes["is_current"] = {"old": previous.file_name if previous else None, "new": file_name}
    audit.record(actor=actor, action="artifact.uploaded", target=product, changes=changes)
    return artifact


__all__ = ["model_record_create", "model_record_update", "split_fields", "DETAIL_FIELDS", "PRODUCT_FIELDS",
           "ValidationFailed"]
