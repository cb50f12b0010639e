"""The health of products: reads of the newest result of their enabled quality checks. The
checks and their runs are written by the quality workflow (governance.quality); the record
lists, the space summary and the health panels read them here."""

from django.db.models import Count, F, FloatField, Q, QuerySet
from django.db.models.functions import Cast, NullIf

from catalog.models import Product, QualityCheck, QualityStatus, Space


def health_score(product: Product) -> int | None:
    """0–100: the share of enabled checks whose newest result passed; None before any run."""
    counts = QualityCheck.objects.filter(product=product, enabled=True).exclude(last_status="").aggregate(
        total=Count("pk"), passed=Count("pk", filter=Q(last_status=QualityStatus.PASSED)))
    if not counts["total"]:
        return None
    return round(100 * counts["passed"] / counts["total"])


def with_health(queryset: QuerySet) -> QuerySet:
    """Annotate products with ``health`` (0–100, null before any run)."""
    enabled = Q(quality_checks__enabled=True) & ~Q(quality_checks__last_status="")
    passed = enabled & Q(quality_checks__last_status=QualityStatus.PASSED)
    return queryset.annotate(
        _checks_total=Count("quality_checks", filter=enabled, distinct=True),
        _checks_passed=Count("quality_checks", filter=passed, distinct=True),
    ).annotate(health=Cast(F("_checks_passed"), FloatField()) * 100.0 / NullIf(Cast(
        F("_checks_total"), FloatField()), 0.0))  # no checked checks: null, not a division by zero


def filter_by_health(queryset: QuerySet, value: str) -> QuerySet:
    """Products ``failing`` or ``passing`` their enabled checks by each one's newest result, or
    ``unchecked`` (no enabled check has run); any other value filters nothing."""
    checked = QualityCheck.objects.filter(enabled=True).exclude(last_status="")
    failing = checked.exclude(last_status=QualityStatus.PASSED).values("product_id")
    if value == "failing":
        return queryset.filter(pk__in=failing)
    if value == "passing":
        return queryset.filter(pk__in=checked.values("product_id")).exclude(pk__in=failing)
    if value == "unchecked":
        return queryset.exclude(pk__in=checked.values("product_id"))
    return queryset


def space_failures(space: Space) -> list[dict]:
    """How many of the space's products fail each check (by check name), most first."""
    rows = (QualityCheck.objects.filter(product__space=space, product__is_archived=False, enabled=True)
            .exclude(last_status__in=["", QualityStatus.PASSED])
            .values("name").annotate(products=Count("product", distinct=True)).order_by("-products", "name"))
    return list(rows)
