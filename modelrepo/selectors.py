"""Reads of model repository records, always restricted by the access policy."""

from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from catalog import access
from catalog.choices import AI_PRODUCT_TYPES
from catalog.models import Organization, Product, Space
from common.errors import NotFound, PermissionDenied
from modelrepo.models import Artifact, CurrentVersionChange, ModelDetails, ModelVersion


def model_record_list(*, user, space: Space | None = None, organization: Organization | None = None) -> QuerySet:
    qs = Product.objects.filter(product_type__in=AI_PRODUCT_TYPES)
    if space is not None:
        qs = qs.filter(space=space)
    if organization is not None:
        qs = qs.filter(space__organization=organization)
    qs = access.restrict(qs, user)
    return qs.select_related("space__organization", "model_details").prefetch_related("tags")


def model_record_get(*, user, product_id) -> Product:
    """The record, or NotFound when it does not exist or ``user`` may not view it."""
    try:
        return model_record_list(user=user).get(pk=product_id)
    except (Product.DoesNotExist, ValidationError, ValueError):  # a malformed id is simply not found
        raise NotFound("No model record with this id exists, or you cannot see it.") from None


def _get_for_change(queryset, *, user, product_path: str, **lookup):
    """A row of ``queryset`` fetched with what ``user`` may do with its record, in one query;
    PermissionDenied when they can see the record but not change it."""
    row = access.get_with_grants(queryset, user, product_path=product_path, **lookup)
    if not access.can(user, access.EDIT, row.product if product_path else row):
        raise PermissionDenied("You can view this record but not change it; ask a space admin or the record's owner.")
    return row


def model_record_get_editable(*, user, product_id) -> Product:
    """The record for a change: NotFound when ``user`` cannot see it, PermissionDenied when
    they can see but not change it (refused before any request body is read). One query,
    which also answers later permission checks on the returned record."""
    records = access.restrict(Product.objects.filter(product_type__in=AI_PRODUCT_TYPES), user)
    try:
        return _get_for_change(records.select_related("space__organization", "model_details"), user=user,
                               product_path="", pk=product_id)
    except (Product.DoesNotExist, ValidationError, ValueError):
        raise NotFound("No model record with this id exists, or you cannot see it.") from None


def model_record_row_get_editable(queryset: QuerySet, *, user, product_id, **lookup):
    """The row of ``queryset`` (of a model with a ``product`` foreign key) matching ``lookup``
    on record ``product_id``, for a change, fetched with its record and ``user``'s grants on
    that record in one query. Raises what ``model_record_get_editable`` raises for the record,
    and ``queryset.model.DoesNotExist`` when the record may be changed but holds no such row."""
    rows = access.restrict(queryset.filter(product__product_type__in=AI_PRODUCT_TYPES), user, product_path="product__")
    try:
        return _get_for_change(rows.select_related("product__space__organization"), user=user,
                               product_path="product__", product_id=product_id, **lookup)
    except (queryset.model.DoesNotExist, ValidationError, ValueError):
        model_record_get_editable(user=user, product_id=product_id)  # the record's own answer, if it is the record
        raise queryset.model.DoesNotExist from None


CURRENT_VERSION_FIELDS = ("id", "label", "kind", "status", "deprecated", "yanked")
CURRENT_ARTIFACT_FIELDS = ("id", "file_name", "kind", "content_type", "detected_format", "sha256", "size_bytes")


def repository_summary(product: Product) -> dict:
    """Version count, current version and current artifact of a record:
    ``{"version_count", "current_version": {id, label, kind, status, deprecated, yanked} | None,
    "current_artifact": {id, file_name, kind, content_type, detected_format, sha256, size_bytes} | None}``.

    Uses the summary ``attach_summaries`` put on the product when there is one (list pages),
    otherwise reads it (three small queries)."""
    attached = product.__dict__.get("repository_summary")
    if attached is not None:
        return attached
    current_version = (
        ModelDetails.objects.filter(product_id=product.pk, current_version__isnull=False)
        .values(*(f"current_version__{f}" for f in CURRENT_VERSION_FIELDS))
        .first()
    )
    current_artifact = (
        Artifact.objects.active().filter(product_id=product.pk, is_current=True).values(*CURRENT_ARTIFACT_FIELDS).first()
    )
    return {
        "version_count": ModelVersion.objects.filter(product_id=product.pk).count(),
        "current_version": _strip_prefix(current_version, "current_version__") if current_version else None,
        "current_artifact": current_artifact,
    }


def attach_summaries(products) -> None:
    """Set ``product.repository_summary`` on every product of a page in two queries whatever
    the page size (version counts and current versions in one, current artifacts in the
    other), so list pages and list endpoints stay at a bounded query count."""
    products = list(products)
    if not products:
        return
    ids = [p.pk for p in products]
    version_count = (
        ModelVersion.objects.filter(product_id=OuterRef("pk")).order_by().values("product_id")
        .annotate(n=Count("pk")).values("n")
    )
    rows = (
        Product.objects.filter(pk__in=ids)
        .annotate(version_count=Coalesce(Subquery(version_count), 0))
        .values("pk", "version_count", *(f"model_details__current_version__{f}" for f in CURRENT_VERSION_FIELDS))
    )
    by_product = {}
    for row in rows:
        current = _strip_prefix(row, "model_details__current_version__")
        by_product[row["pk"]] = {
            "version_count": row["version_count"],
            "current_version": current if current["id"] is not None else None,
            "current_artifact": None,
        }
    artifacts = Artifact.objects.active().filter(product_id__in=ids, is_current=True).values(
        "product_id", *CURRENT_ARTIFACT_FIELDS
    )
    for row in artifacts:
        product_id = row.pop("product_id")
        if product_id in by_product:
            by_product[product_id]["current_artifact"] = row
    empty = {"version_count": 0, "current_version": None, "current_artifact": None}
    for product in products:
        product.repository_summary = by_product.get(product.pk, dict(empty))


def _strip_prefix(row: dict, prefix: str) -> dict:
    return {k[len(prefix):]: v for k, v in row.items() if k.startswith(prefix)}


# --- Versions ----------------------------------------------------------------------------

def _not_found(what: str) -> NotFound:
    return NotFound(f"No {what} with this id exists on this record, or you cannot see it.")


def version_list(*, product: Product) -> QuerySet:
    """The record's versions, oldest first (labels are free-form, so order is creation order)."""
    return ModelVersion.objects.filter(product=product).select_related("created_by", "released_by").order_by(
        "created_at", "id"
    )


def version_get(*, product: Product, version_id) -> ModelVersion:
    """A version of ``product`` (the caller has already looked the product up through
    ``model_record_get``); a version of another record is not found."""
    try:
        return version_list(product=product).get(pk=version_id)
    except (ModelVersion.DoesNotExist, ValidationError, ValueError):
        raise _not_found("version") from None


def version_history(*, product: Product) -> QuerySet:
    """Every move of the current-version pointer, newest first."""
    return CurrentVersionChange.objects.filter(product=product).select_related("changed_by").order_by("-created_at", "-id")


def current_version_id(product: Product):
    return ModelDetails.objects.filter(product_id=product.pk).values_list("current_version_id", flat=True).first()


# --- Artifacts ---------------------------------------------------------------------------

def artifact_list(*, product: Product, kind=None, version_id=None, is_current=None) -> QuerySet:
    """The record's active (not deleted) artifacts, newest first. ``kind`` may be a list."""
    qs = Artifact.objects.active().filter(product=product).select_related("uploaded_by")
    if kind:
        qs = qs.filter(kind__in=[kind] if isinstance(kind, str) else kind)
    if version_id is not None:
        qs = qs.filter(version_id=version_id)
    if is_current is not None:
        qs = qs.filter(is_current=is_current)
    return qs.order_by("-created_at", "-id")


def artifact_get(*, product: Product, artifact_id) -> Artifact:
    """An active artifact of ``product``; deleted ones and those of other records are not found."""
    try:
        return artifact_list(product=product).select_related("product__space__organization").get(pk=artifact_id)
    except (Artifact.DoesNotExist, ValidationError, ValueError):
        raise _not_found("artifact") from None


def summary_counts(queryset: QuerySet) -> dict:
    """Counts by family, deployment status and risk classification for a (filtered) list."""
    def by(field):
        rows = queryset.order_by().values(f"model_details__{field}").annotate(n=Count("pk"))
        return {row[f"model_details__{field}"] or "": row["n"] for row in rows}

    return {
        "total": queryset.count(),
        "model_family": by("model_family"),
        "deployment_status": by("deployment_status"),
        "risk_classification": by("risk_classification"),
    }
