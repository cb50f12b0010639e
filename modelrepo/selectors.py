"""Reads of model repository records, always restricted by the access policy."""

from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet

from catalog.choices import AI_PRODUCT_TYPES
from catalog.models import Organization, Product, Space
from governance import access
from qarion.errors import NotFound


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


def repository_summary(product: Product) -> dict:
    """Version count, current version and current artifact of a record. Versions and
    artifacts arrive with the upload work; until then a record has none."""
    return {"version_count": 0, "current_version": None, "current_artifact": None}


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
