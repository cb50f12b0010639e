"""Training runs of a model record: the reads (scoped to a record the caller already looked up
through ``selectors.model_record_get``) and the writes (atomic, ``edit``-checked, audited on
the product).

A run may name catalog products as its training data. Linking a product requires being able
to view it, and a product nobody asked the reader about is never disclosed: readers who cannot
view a linked product see a redacted placeholder (``dataset_products_of``), and an update by
someone who cannot view a linked product keeps that link, since they could not have named it."""

import json
import re
import uuid
from datetime import datetime
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from catalog import access, audit
from catalog.models import Product
from common.errors import Conflict, NotFound, PermissionDenied, invalid
from modelrepo.models import Artifact, ModelVersion, TrainingRun

RUN_FIELDS = (
    "name", "started_at", "ended_at", "hyperparameters", "metrics", "environment", "dataset_product_ids",
    "dataset_uris", "code_repository", "code_commit", "notes",
)
JSON_OBJECT_FIELDS = ("hyperparameters", "metrics", "environment")
MAX_NAME_LENGTH = 200
MAX_DATASET_URIS = 100
MAX_DATASET_PRODUCTS = 100
MAX_URI_LENGTH = 2000
MAX_CODE_REPOSITORY_LENGTH = 500
MAX_NOTES_LENGTH = 100_000
MAX_JSON_CHARS = 100_000
UNKNOWN_DATASET_PRODUCT = "No catalog product with this id exists, or you cannot see it"

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_EXCEPT_NEWLINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_COMMIT = re.compile(r"^[0-9a-f]{7,64}\Z")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


# --- Reads -------------------------------------------------------------------------------

def training_run_list(*, product: Product) -> QuerySet:
    """The record's runs, newest first, with how many versions and active artifacts point to
    each and the linked products prefetched (for ``dataset_products_of``)."""
    return (
        TrainingRun.objects.filter(product=product)
        .select_related("created_by")
        .prefetch_related(
            "dataset_products",
            Prefetch("versions", queryset=ModelVersion.objects.only("id", "label", "created_at", "training_run_id")
                     .order_by("created_at", "id")),
        )
        .annotate(
            version_count=Count("versions", distinct=True),
            artifact_count=Count("artifacts", filter=Q(artifacts__deleted_at__isnull=True), distinct=True),
        )
        .order_by("-created_at", "-id")
    )


def training_run_get(*, product: Product, run_id) -> TrainingRun:
    """A run of ``product``; a run of another record, or a malformed id, is not found."""
    try:
        return training_run_list(product=product).get(pk=run_id)
    except (TrainingRun.DoesNotExist, ValidationError, ValueError):
        raise NotFound("No training run with this id exists on this record, or you cannot see it.") from None


def training_run_versions(run: TrainingRun) -> QuerySet:
    return ModelVersion.objects.filter(training_run=run).select_related("created_by").order_by("created_at", "id")


def training_run_artifacts(run: TrainingRun) -> QuerySet:
    return Artifact.objects.active().filter(training_run=run).select_related("version").order_by("file_name", "id")


def visible_product_ids(user, product_ids) -> set:
    """The subset of ``product_ids`` that ``user`` may view (one query)."""
    product_ids = {pk for pk in product_ids if pk is not None}
    if not product_ids:
        return set()
    return set(access.restrict(Product.objects.filter(pk__in=product_ids), user).values_list("pk", flat=True))


def dataset_products_of(runs, user) -> dict:
    """``{run.pk: [{"id", "name", "redacted", "product_type"}]}`` for runs whose ``dataset_products`` are
    prefetched: products ``user`` cannot view become ``{"id": None, "name": None,
    "redacted": True}`` and sort last, so neither their name nor their id leaks."""
    runs = list(runs)
    visible = visible_product_ids(user, {p.pk for run in runs for p in run.dataset_products.all()})
    result = {}
    for run in runs:
        shown = sorted(
            ({"id": p.pk, "name": p.name, "redacted": False, "product_type": p.product_type}
             for p in run.dataset_products.all() if p.pk in visible),
            key=lambda item: item["name"].lower(),
        )
        hidden = sum(1 for p in run.dataset_products.all() if p.pk not in visible)
        result[run.pk] = shown + [{"id": None, "name": None, "redacted": True} for _ in range(hidden)]
    return result


def linkable_dataset_products(user) -> QuerySet:
    """Catalog products ``user`` may name as training data (every type, every visible space)."""
    return access.restrict(Product.objects.all(), user).select_related("space").order_by("space__name", "name")


# --- Validation --------------------------------------------------------------------------

def _text(errors, data, name, *, max_length, multiline=False, required=False):
    value = data.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[name] = ["Must be text."]
        return None
    value = value if multiline else value.strip()
    if required and not value:
        errors[name] = ["Give the run a name, such as “baseline-2026-01”."]
    elif len(value) > max_length:
        errors[name] = [f"At most {max_length} characters."]
    elif (_CONTROL_EXCEPT_NEWLINES if multiline else _CONTROL).search(value):
        errors[name] = ["Must not contain control characters."]
    else:
        return value
    return None


def _datetime(errors, data, name):
    value = data.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, str):
        parsed = parse_datetime(value.strip())
        if parsed is None:
            errors[name] = ["Give a date and time in ISO 8601, such as 2026-01-15T09:30:00Z."]
            return None
        value = parsed
    if not isinstance(value, datetime):
        errors[name] = ["Give a date and time in ISO 8601, such as 2026-01-15T09:30:00Z."]
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    return value


def _json_object(errors, data, name):
    value = data.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        errors[name] = [f"Must be a JSON object, such as {_EXAMPLES[name]}."]
        return None
    try:
        size = len(json.dumps(value, ensure_ascii=False))
    except (TypeError, ValueError):
        errors[name] = ["Must hold only JSON values."]
        return None
    if size > MAX_JSON_CHARS:
        errors[name] = [f"At most {MAX_JSON_CHARS} characters of JSON."]
        return None
    return value


_EXAMPLES = {
    "hyperparameters": '{"learning_rate": 0.001, "epochs": 20}',
    "metrics": '{"accuracy": 0.91}',
    "environment": '{"torch": "2.4.1", "gpu": "A100"}',
}


def uri_problem(uri) -> str | None:
    """Why ``uri`` is not an acceptable dataset URI, or None. URIs are recorded, never fetched."""
    if not isinstance(uri, str):
        return "Each URI must be text."
    if not uri:
        return "A URI cannot be empty."
    if len(uri) > MAX_URI_LENGTH:
        return f"A URI is at most {MAX_URI_LENGTH} characters: {uri[:60]}…"
    if _CONTROL.search(uri) or " " in uri:
        return f"A URI cannot contain spaces or control characters: {uri[:80]}"
    if not _SCHEME.match(uri):
        return f"Give an absolute URI with a scheme, such as s3://bucket/train.parquet or https://…: {uri[:80]}"
    try:
        parts = urlsplit(uri)
    except ValueError:
        return f"This is not a valid URI: {uri[:80]}"
    if "@" in parts.netloc:
        return f"A URI cannot carry credentials: {parts.scheme}://…"
    if not (parts.netloc or parts.path):
        return f"Give the location after the scheme: {uri[:80]}"
    return None


def _dataset_uris(errors, data):
    value = data.get("dataset_uris")
    if value is None:
        return []
    if not isinstance(value, list):
        errors["dataset_uris"] = ["Must be a list of URIs, such as [\"s3://bucket/train.parquet\"]."]
        return None
    if len(value) > MAX_DATASET_URIS:
        errors["dataset_uris"] = [f"At most {MAX_DATASET_URIS} URIs; you gave {len(value)}."]
        return None
    problems = [problem for problem in map(uri_problem, value) if problem]
    if not problems:
        seen = set()
        for uri in value:
            if uri in seen:
                problems.append(f"Listed twice: {uri[:80]}")
            seen.add(uri)
    if problems:
        errors["dataset_uris"] = problems
        return None
    return list(value)


def _dataset_product_ids(errors, data, actor, product):
    """The products named, each one visible to ``actor``; a missing product and one the actor
    cannot view get the same message, so the answer reveals nothing."""
    value = data.get("dataset_product_ids")
    if value is None:
        return set()
    if not isinstance(value, (list, tuple, set)):
        errors["dataset_product_ids"] = ["Must be a list of catalog product ids."]
        return None
    if len(value) > MAX_DATASET_PRODUCTS:
        errors["dataset_product_ids"] = [f"At most {MAX_DATASET_PRODUCTS} products; you gave {len(value)}."]
        return None
    ids, problems = [], []
    for raw in value:
        try:
            ids.append(raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw)))
        except (ValueError, AttributeError, TypeError):
            problems.append(f"{UNKNOWN_DATASET_PRODUCT}: {str(raw)[:40]}")
    visible = visible_product_ids(actor, ids)
    problems += [f"{UNKNOWN_DATASET_PRODUCT}: {pk}" for pk in dict.fromkeys(ids) if pk not in visible]
    if product.pk in ids:
        problems.append("A record cannot name itself as its training data.")
    if problems:
        errors["dataset_product_ids"] = problems
        return None
    return set(ids)


def _clean(*, actor, product: Product, data: dict, run: TrainingRun | None) -> tuple[dict, set | None]:
    """Checks every given field and reports all problems at once; answers (field values for
    the model, the dataset product ids or None when not given)."""
    unknown = set(data) - set(RUN_FIELDS)
    if unknown:
        raise invalid({name: ["Unknown field."] for name in sorted(unknown)})
    errors, fields = {}, {}
    given = set(data)
    if run is None:
        given |= {"name"}
    if "name" in given:
        fields["name"] = _text(errors, data, "name", max_length=MAX_NAME_LENGTH, required=True)
    for name in ("started_at", "ended_at"):
        if name in given:
            fields[name] = _datetime(errors, data, name)
    for name in JSON_OBJECT_FIELDS:
        if name in given:
            fields[name] = _json_object(errors, data, name)
    if "dataset_uris" in given:
        fields["dataset_uris"] = _dataset_uris(errors, data)
    if "code_repository" in given:
        fields["code_repository"] = _text(errors, data, "code_repository", max_length=MAX_CODE_REPOSITORY_LENGTH)
    if "code_commit" in given:
        commit = _text(errors, data, "code_commit", max_length=64)
        if commit is not None:
            commit = commit.lower()
            if commit and not _COMMIT.match(commit):
                errors["code_commit"] = ["Give a commit as 7 to 64 hexadecimal characters."]
            fields["code_commit"] = commit
    if "notes" in given:
        fields["notes"] = _text(errors, data, "notes", max_length=MAX_NOTES_LENGTH, multiline=True)
    dataset_ids = None
    if "dataset_product_ids" in given:
        dataset_ids = _dataset_product_ids(errors, data, actor, product)

    started = fields["started_at"] if "started_at" in fields else (run.started_at if run else None)
    ended = fields["ended_at"] if "ended_at" in fields else (run.ended_at if run else None)
    if started and ended and ended < started and not {"started_at", "ended_at"} & set(errors):
        field = "ended_at" if "ended_at" in fields else "started_at"
        errors[field] = ["The run cannot end before it started; ended_at must be at or after started_at."]

    name = fields.get("name")
    if name and "name" not in errors:
        taken = TrainingRun.objects.filter(product=product, name=name)
        if run is not None:
            taken = taken.exclude(pk=run.pk)
        if taken.exists():
            errors["name"] = [_name_taken(name)]
    if errors:
        raise invalid(errors)
    return fields, dataset_ids


def _name_taken(name: str) -> str:
    return f"This record already has a training run named “{name}”; choose another name."


def _require_edit(actor, product: Product) -> None:
    if not access.can(actor, access.EDIT, product):
        raise PermissionDenied(
            "You can view this record but not change its training runs; ask a space admin or the record's owner."
        )


def _snapshot(run: TrainingRun, dataset_ids) -> dict:
    return {
        "name": run.name,
        "started_at": run.started_at.isoformat() if run.started_at else None,
        "ended_at": run.ended_at.isoformat() if run.ended_at else None,
        "hyperparameters": run.hyperparameters,
        "metrics": run.metrics,
        "environment": run.environment,
        # Ids only: the audit log is read by everyone who can view the record, and names of
        # products they cannot view must not reach them.
        "dataset_product_ids": sorted(str(pk) for pk in dataset_ids),
        "dataset_uris": run.dataset_uris,
        "code_repository": run.code_repository,
        "code_commit": run.code_commit,
        "notes": run.notes,
    }


def _save(run: TrainingRun, **kwargs) -> None:
    try:
        with transaction.atomic():
            run.save(**kwargs)
    except IntegrityError:
        # A concurrent write took the name between the check and the insert.
        raise invalid({"name": [_name_taken(run.name)]}) from None


# --- Writes ------------------------------------------------------------------------------

def training_run_create(*, actor, product: Product, data: dict) -> TrainingRun:
    """Record a training run of ``product``. ``data`` holds any of RUN_FIELDS; ``name`` is
    required and unique in the record."""
    _require_edit(actor, product)
    fields, dataset_ids = _clean(actor=actor, product=product, data=data, run=None)
    dataset_ids = dataset_ids or set()
    with transaction.atomic():
        run = TrainingRun(product=product, created_by=actor, **fields)
        _save(run, force_insert=True)
        run.dataset_products.set(dataset_ids)
        changes = {k: {"old": None, "new": v} for k, v in _snapshot(run, dataset_ids).items()
                   if v not in (None, "", {}, [])}
        changes["training_run"] = {"old": None, "new": run.name}
        audit.record(actor=actor, action="training_run.created", target=product, changes=changes)
    return run


def training_run_update(*, actor, product: Product, run: TrainingRun, data: dict) -> TrainingRun:
    """Change any subset of a run's fields. ``dataset_product_ids`` replaces the products the
    actor can view; links to products the actor cannot view are kept."""
    _require_edit(actor, product)
    with transaction.atomic():
        run = TrainingRun.objects.select_for_update().filter(pk=run.pk, product=product).first()
        if run is None:
            raise NotFound("No training run with this id exists on this record, or it was deleted.")
        fields, requested_ids = _clean(actor=actor, product=product, data=data, run=run)
        old_ids = set(run.dataset_products.values_list("pk", flat=True))
        old = _snapshot(run, old_ids)
        new_ids = old_ids
        if requested_ids is not None:
            new_ids = requested_ids | (old_ids - visible_product_ids(actor, old_ids))
        for field, value in fields.items():
            setattr(run, field, value)
        changes = audit.diff(old, _snapshot(run, new_ids))
        if not changes:
            return run
        _save(run)
        if new_ids != old_ids:
            run.dataset_products.set(new_ids)
        changes["training_run"] = {"old": old["name"], "new": run.name}
        audit.record(actor=actor, action="training_run.updated", target=product, changes=changes)
    return run


# What else points to a training run, counted by the apps built on this one (uploads counts its
# uploads in progress), registered from their AppConfig.ready(): {name: callable(run) -> int}.
REFERENCE_COUNTERS: dict = {}


def training_run_references(run: TrainingRun) -> dict:
    """What still points to ``run``: versions, active artifacts, and what other apps count
    (uploads in progress)."""
    references = {
        "versions": ModelVersion.objects.filter(training_run=run).count(),
        "artifacts": Artifact.objects.active().filter(training_run=run).count(),
    }
    references.update({name: count(run) for name, count in REFERENCE_COUNTERS.items()})
    return references


def training_run_delete(*, actor, product: Product, run: TrainingRun) -> None:
    """Delete a run nothing points to. A run that versions, artifacts or open uploads name is
    provenance: deleting it answers 409 ``training_run_in_use`` with the counts."""
    _require_edit(actor, product)
    with transaction.atomic():
        run = TrainingRun.objects.select_for_update().filter(pk=run.pk, product=product).first()
        if run is None:
            raise NotFound("No training run with this id exists on this record, or it was deleted.")
        references = training_run_references(run)
        if any(references.values()):
            named = [f"{n} {what if n != 1 else what.rstrip('s')}" for what, n in references.items() if n]
            raise Conflict(
                f"Training run “{run.name}” is still referenced by " + ", ".join(named)
                + "; point them to another run (or delete them) first.",
                code="training_run_in_use", details=references,
            )
        dataset_ids = set(run.dataset_products.values_list("pk", flat=True))
        changes = {k: {"old": v, "new": None} for k, v in _snapshot(run, dataset_ids).items()
                   if v not in (None, "", {}, [])}
        changes["training_run"] = {"old": run.name, "new": None}
        run.delete()
        audit.record(actor=actor, action="training_run.deleted", target=product, changes=changes)
