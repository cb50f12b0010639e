"""Writes to model versions and the current-version pointer.

Every function is atomic, asks the access policy for ``edit`` and records one audit event
on the product (none when nothing changed). Every move of the current pointer locks the
product's details row first (``services._lock_pointer``), so two concurrent calls serialise
instead of racing, and leaves a history row, so a rollback is one step.

Moving the pointer and releasing consult the space change policy: a governed direct action
is refused (``ChangeRequestRequired``) and goes through a change request, whose apply calls
the same function with ``change_request=`` (recorded in the audit event)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog import access, audit
from catalog import services as catalog_services
from catalog.models import Product
from common.errors import Conflict, NotFound, PermissionDenied, invalid
from modelrepo import policy, rules, signing
from modelrepo.choices import UploadStatus, VersionStatus
from modelrepo.models import Artifact, CurrentVersionChange, ModelDetails, ModelVersion, TrainingRun
from modelrepo.services import _lock_pointer, authorise_change

# The fields a caller may set; once a version is released none of them may change.
RELEASE_FIELDS = ("label", "kind", "release_notes", "release_date", "git_tag", "commit_sha", "metrics", "training_run_id")


DENIED = "You can view this record but not change its versions; ask a space admin or the record's owner."


def _require_edit(actor, product: Product) -> None:
    if not access.can(actor, access.EDIT, product):
        raise PermissionDenied(DENIED)


def _snapshot(version: ModelVersion) -> dict:
    return {
        "label": version.label,
        "kind": version.kind,
        "release_notes": version.release_notes,
        "release_date": version.release_date.isoformat() if version.release_date else None,
        "git_tag": version.git_tag,
        "commit_sha": version.commit_sha,
        "metrics": version.metrics,
        "training_run_id": str(version.training_run_id) if version.training_run_id else None,
    }


def _normalise(data: dict) -> dict:
    unknown = set(data) - set(RELEASE_FIELDS)
    if unknown:
        raise invalid({name: ["Unknown field."] for name in sorted(unknown)})
    data = dict(data)
    for name in ("label", "git_tag", "commit_sha"):
        if isinstance(data.get(name), str):
            data[name] = data[name].strip()
    if isinstance(data.get("commit_sha"), str):
        data["commit_sha"] = data["commit_sha"].lower()
    for name in ("release_notes", "git_tag", "commit_sha"):
        if name in data and data[name] is None:
            data[name] = ""
    if "metrics" in data and not isinstance(data["metrics"], dict):
        raise invalid({"metrics": ["Must be a JSON object of metric names to values, such as {\"f1\": 0.91}."]})
    return data


def _training_run(product: Product, training_run_id) -> TrainingRun | None:
    if training_run_id in (None, ""):
        return None
    run = TrainingRun.objects.filter(product=product, pk=training_run_id).first()
    if run is None:
        raise invalid({"training_run_id": ["No training run with this id exists on this record."]})
    return run


def _check_label_free(product: Product, label: str, exclude_pk=None) -> None:
    taken = ModelVersion.objects.filter(product=product, label=label)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise invalid({"label": [f"This record already has a version labelled “{label}”; choose another label."]})


def _clean(version: ModelVersion) -> None:
    try:
        version.full_clean(
            exclude=["product", "training_run", "created_by", "released_by", "status"], validate_unique=False,
            validate_constraints=False,
        )
    except DjangoValidationError as exc:
        raise invalid(catalog_services.validation_error_details(exc)) from None


def _save(version: ModelVersion, **kwargs) -> None:
    try:
        with transaction.atomic():
            version.save(**kwargs)
    except IntegrityError:
        # A concurrent create took the label between our check and the insert.
        raise invalid(
            {"label": [f"This record already has a version labelled “{version.label}”; choose another label."]}
        ) from None


def version_create(*, actor, product: Product, data: dict) -> ModelVersion:
    """Create a draft version of ``product``. ``data`` holds any of RELEASE_FIELDS; ``label``
    is required and unique per record."""
    _require_edit(actor, product)
    data = _normalise(data)
    training_run = _training_run(product, data.pop("training_run_id", None))
    with transaction.atomic():
        version = ModelVersion(product=product, training_run=training_run, created_by=actor, **data)
        _clean(version)
        _check_label_free(product, version.label)
        _save(version, force_insert=True)
        changes = {k: {"old": None, "new": v} for k, v in _snapshot(version).items() if v not in (None, "", {})}
        changes["version"] = {"old": None, "new": version.label}
        audit.record(actor=actor, action="version.created", target=product, changes=changes)
    return version


def version_update(*, actor, product: Product, version: ModelVersion, data: dict) -> ModelVersion:
    """Change any subset of a draft version's fields. A released version is immutable:
    a change answers 409 ``version_released`` (sending the values it already has is a no-op)."""
    _require_edit(actor, product)
    data = _normalise(data)
    with transaction.atomic():
        version = ModelVersion.objects.select_for_update().get(pk=version.pk, product=product)
        old = _snapshot(version)
        refusal = rules.version_edit_refusal(version)  # judged before the new values are set
        if "training_run_id" in data:
            version.training_run = _training_run(product, data.pop("training_run_id"))
        for field, value in data.items():
            setattr(version, field, value)
        _clean(version)
        changes = audit.diff(old, _snapshot(version))
        if not changes:
            return version
        if refusal is not None:
            raise Conflict(refusal.message, code=refusal.code, details={"fields": sorted(changes)})
        if "label" in changes:
            _check_label_free(product, version.label, exclude_pk=version.pk)
        _save(version)
        if "label" in changes:
            # Artifacts carry the label of their version for display and manifests.
            Artifact.objects.filter(version=version).update(version_label=version.label)
        changes["version"] = {"old": old["label"], "new": version.label}
        audit.record(actor=actor, action="version.updated", target=product, changes=changes)
    return version


def _move_pointer(*, actor, product: Product, details: ModelDetails, to: ModelVersion, reason: str,
                  is_rollback: bool, via: dict) -> CurrentVersionChange:
    previous = details.current_version
    ModelDetails.objects.filter(pk=details.pk).update(current_version=to)
    details.current_version = to
    change = CurrentVersionChange.objects.create(
        product=product, from_version=previous, to_version=to,
        from_label=previous.label if previous else "", to_label=to.label,
        changed_by=actor if actor is not None and actor.pk else None,
        changed_by_name=actor.get_username() if actor is not None and actor.pk else "system",
        reason=reason, is_rollback=is_rollback,
    )
    changes = {"current_version": {"old": previous.label if previous else None, "new": to.label}, **via}
    if reason:
        changes["reason"] = {"old": None, "new": reason}
    action = "version.rolled_back" if is_rollback else "version.made_current"
    audit.record(actor=actor, action=action, target=product, changes=changes)
    return change


def _files(version: ModelVersion):
    return Artifact.objects.active().filter(version=version)


def _check_pointer(product: Product, version: ModelVersion, change_request) -> None:
    policy.check_current_pointer(product, field="current_version", value=str(version.pk),
                                 label=f"version {version.label}", artifacts=_files(version),
                                 change_request=change_request)


def version_make_current(*, actor, product: Product, version: ModelVersion, reason: str = "",
                         change_request=None) -> ModelVersion:
    """Point the record's current version at ``version``. Already current: nothing changes.
    ``change_request``: the approved request this applies (see the module docstring)."""
    via = authorise_change(actor, product, change_request, denied=DENIED)
    with transaction.atomic():
        details = _lock_pointer(product)
        # Re-read under the lock: a concurrent yank or delete must be seen.
        version = ModelVersion.objects.filter(pk=version.pk, product=product).first()
        if version is None:
            raise NotFound("No version with this id exists on this record.")
        if details.current_version_id == version.pk:
            return version
        rules.refuse(rules.version_current_refusal(version))
        _check_pointer(product, version, change_request)
        _move_pointer(actor=actor, product=product, details=details, to=version, reason=reason or "",
                      is_rollback=False, via=via)
    return version


def version_rollback(*, actor, product: Product, reason: str = "") -> ModelVersion:
    """Move the current pointer back to the version that was current before the present one
    became current (the ``from`` of the newest history row). One step: a second rollback
    returns to where the first started. Where the space governs the pointer, the refusal
    offers a change request proposing that version as current."""
    _require_edit(actor, product)
    with transaction.atomic():
        details = _lock_pointer(product)
        last = (
            CurrentVersionChange.objects.filter(product=product)
            .select_related("from_version")
            .order_by("-created_at", "-id")
            .first()
        )
        target = last.from_version if last is not None else None
        if target is None or target.pk == details.current_version_id:
            raise Conflict(
                "There is no previous current version to roll back to; make a version current instead.",
                code="no_previous_version",
            )
        rules.refuse(rules.version_current_refusal(target))
        _check_pointer(product, target, None)
        _move_pointer(actor=actor, product=product, details=details, to=target, reason=reason or "",
                      is_rollback=True, via={})
    return target


# --- Release, deprecation, yanking, verification --------------------------------------------

def _released_or_refuse(version: ModelVersion, doing: str) -> None:
    if not version.is_released:
        raise Conflict(f"Version {version.label} is a draft; release it before {doing}.", code="version_not_released")


def signed_artifacts(version: ModelVersion):
    """The files a release signs and ships: the version's active, stored (not external) artifacts."""
    return (Artifact.objects.active().filter(version=version, upload_status=UploadStatus.COMPLETED)
            .order_by("file_name"))


def version_release(*, actor, product: Product, version: ModelVersion, change_request=None) -> ModelVersion:
    """Release ``version``: lock it and write its signed manifest. It needs at least one stored
    artifact and none judged unsafe. Signing uses the checksums already recorded, so no
    artifact bytes are read. ``change_request``: the approved request this applies."""
    via = authorise_change(actor, product, change_request, denied=DENIED)
    with transaction.atomic():
        # Lock the pointer row too: a concurrent artifact delete or upload serialises with us.
        _lock_pointer(product)
        version = ModelVersion.objects.select_for_update().filter(pk=version.pk, product=product).first()
        if version is None:
            raise NotFound("No version with this id exists on this record.")
        files = [] if version.is_released else list(signed_artifacts(version))
        rules.refuse(rules.version_release_refusal(version, files))
        policy.check_release(product, version=version, artifacts=_files(version), change_request=change_request)
        name = signing.folder_name(product.slug, version.label)
        bundle, key_id = signing.sign(name, [signing.Resource(a.file_name, a.sha256) for a in files])
        now = timezone.now()
        ModelVersion.objects.filter(pk=version.pk).update(
            status=VersionStatus.RELEASED, released_at=now, released_by=actor,
            released_by_name=actor.get_username() if actor is not None else "", signature=bundle,
            signature_key_id=key_id, signed_at=now, updated_at=now,
        )
        audit.record(actor=actor, action="version.released", target=product, changes={
            "version": {"old": None, "new": version.label},
            "status": {"old": VersionStatus.DRAFT, "new": VersionStatus.RELEASED},
            "signed_files": {"old": None, "new": {a.file_name: a.sha256 for a in files}},
            "signature_key_id": {"old": None, "new": key_id}, **via,
        })
    version.refresh_from_db()
    return version


def _flag(*, actor, product: Product, version: ModelVersion, flag: str, reason_field: str, reason: str,
          action: str, doing: str) -> ModelVersion:
    _require_edit(actor, product)
    reason = (reason or "").strip()
    if not reason:
        raise invalid({"reason": [f"Say why the version is {doing}; the reason is shown with it."]})
    with transaction.atomic():
        version = ModelVersion.objects.select_for_update().filter(pk=version.pk, product=product).first()
        if version is None:
            raise NotFound("No version with this id exists on this record.")
        _released_or_refuse(version, f"marking it {doing}")
        old = (getattr(version, flag), getattr(version, reason_field))
        if old == (True, reason):
            return version
        ModelVersion.objects.filter(pk=version.pk).update(**{flag: True, reason_field: reason,
                                                             "updated_at": timezone.now()})
        audit.record(actor=actor, action=action, target=product, changes={
            "version": {"old": version.label, "new": version.label},
            flag: {"old": old[0], "new": True}, reason_field: {"old": old[1] or None, "new": reason},
        })
    version.refresh_from_db()
    return version


def version_deprecate(*, actor, product: Product, version: ModelVersion, reason: str) -> ModelVersion:
    """Mark a released version deprecated: it stays downloadable and can still be current."""
    return _flag(actor=actor, product=product, version=version, flag="deprecated", reason_field="deprecation_reason",
                 reason=reason, action="version.deprecated", doing="deprecated")


def version_yank(*, actor, product: Product, version: ModelVersion, reason: str) -> ModelVersion:
    """Mark a released version yanked: it stays downloadable for audit but can no longer be made current."""
    return _flag(actor=actor, product=product, version=version, flag="yanked", reason_field="yank_reason",
                 reason=reason, action="version.yanked", doing="yanked")


def version_verify(*, product: Product, version: ModelVersion) -> dict:
    """Re-check the stored files of a released version against its signed manifest; reads every
    byte. Returns ``{"valid", "signature": {...}, "files": [{name, expected_sha256, actual_sha256,
    status: ok|mismatch|missing|unsigned}]}``."""
    from modelrepo import scrub

    _released_or_refuse(version, "verifying it")
    report = {"valid": False, "signature": {"valid": False, "key_id": version.signature_key_id, "message": ""},
              "files": []}
    try:
        manifest = signing.verify(version.signature)
    except signing.SignatureInvalid as exc:
        report["signature"]["message"] = str(exc)
        return report
    report["signature"].update(valid=True, key_id=manifest.key_id, model_name=manifest.model_name,
                               message="The signature is valid.")
    stored = {a.file_name: a for a in signed_artifacts(version)}
    all_ok = True
    for resource in manifest.resources:
        artifact = stored.pop(resource.name, None)
        actual = scrub.hash_stored(artifact) if artifact is not None else None
        state = "missing" if actual is None else ("ok" if actual == resource.sha256 else "mismatch")
        all_ok &= state == "ok"
        report["files"].append({"name": resource.name, "expected_sha256": resource.sha256, "actual_sha256": actual,
                                "status": state})
    for name, artifact in sorted(stored.items()):
        all_ok = False
        report["files"].append({"name": name, "expected_sha256": None, "actual_sha256": artifact.sha256,
                                "status": "unsigned"})
    report["valid"] = all_ok
    return report
