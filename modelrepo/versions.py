"""Writes to model versions and the current-version pointer.

Every function is atomic, asks the access policy for ``edit`` and records one audit event
on the product (none when nothing changed). Every move of the current pointer locks the
product's details row first (``services._lock_pointer``), so two concurrent calls serialise
instead of racing, and leaves a history row, so a rollback is one step."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction

from catalog import services as catalog_services
from catalog.models import Product
from governance import access, audit
from modelrepo.models import Artifact, CurrentVersionChange, ModelDetails, ModelVersion, TrainingRun
from modelrepo.services import _lock_pointer
from qarion.errors import Conflict, NotFound, PermissionDenied, invalid

# The fields a caller may set; once a version is released none of them may change.
RELEASE_FIELDS = ("label", "kind", "release_notes", "release_date", "git_tag", "commit_sha", "metrics", "training_run_id")


def _require_edit(actor, product: Product) -> None:
    if not access.can(actor, access.EDIT, product):
        raise PermissionDenied(
            "You can view this record but not change its versions; ask a space admin or the record's owner."
        )


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
        if "training_run_id" in data:
            version.training_run = _training_run(product, data.pop("training_run_id"))
        for field, value in data.items():
            setattr(version, field, value)
        _clean(version)
        changes = audit.diff(old, _snapshot(version))
        if not changes:
            return version
        if version.is_released:
            raise Conflict(
                f"Version {old['label']} is released and immutable; create a new version.", code="version_released",
                details={"fields": sorted(changes)},
            )
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
                  is_rollback: bool) -> CurrentVersionChange:
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
    changes = {"current_version": {"old": previous.label if previous else None, "new": to.label}}
    if reason:
        changes["reason"] = {"old": None, "new": reason}
    action = "version.rolled_back" if is_rollback else "version.made_current"
    audit.record(actor=actor, action=action, target=product, changes=changes)
    return change


def _refuse_yanked(version: ModelVersion) -> None:
    if version.yanked:
        reason = f" ({version.yank_reason})" if version.yank_reason else ""
        raise Conflict(
            f"Version {version.label} was yanked{reason} and cannot be made current; choose another version.",
            code="version_yanked",
        )


def version_make_current(*, actor, product: Product, version: ModelVersion, reason: str = "") -> ModelVersion:
    """Point the record's current version at ``version``. Already current: nothing changes."""
    _require_edit(actor, product)
    with transaction.atomic():
        details = _lock_pointer(product)
        # Re-read under the lock: a concurrent yank or delete must be seen.
        version = ModelVersion.objects.filter(pk=version.pk, product=product).first()
        if version is None:
            raise NotFound("No version with this id exists on this record.")
        if details.current_version_id == version.pk:
            return version
        _refuse_yanked(version)
        _move_pointer(actor=actor, product=product, details=details, to=version, reason=reason or "", is_rollback=False)
    return version


def version_rollback(*, actor, product: Product, reason: str = "") -> ModelVersion:
    """Move the current pointer back to the version that was current before the present one
    became current (the ``from`` of the newest history row). One step: a second rollback
    returns to where the first started."""
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
        _refuse_yanked(target)
        _move_pointer(actor=actor, product=product, details=details, to=target, reason=reason or "", is_rollback=True)
    return target
