"""The quality check pages: running a product's checks, declaring a custom check, and
one check with its results history and trend. The health panel itself is drawn on the record's
Governance tab (governance.templatetags.quality_tags)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from catalog import access, health
from catalog import selectors as catalog_selectors
from catalog.choices import AI_PRODUCT_TYPES
from catalog.lineage import product_url
from common.messages import perform
from governance import quality


def _health_url(product) -> str:
    if product.product_type in AI_PRODUCT_TYPES:
        return reverse("modelrepo:model_tab", kwargs={"product_id": product.pk, "tab": "governance"}) + "#health"
    return product_url(product)


@login_required
@require_POST
def quality_run(request, product_id):
    product = catalog_selectors.visible_product(user=request.user, product_id=product_id)
    quality.checks_run_on_demand(actor=request.user, product=product)
    messages.success(request, f"Checks run: health {health.health_score(product)}%.")
    return redirect(_health_url(product))


@login_required
@require_POST
def quality_check_create(request, product_id):
    product = catalog_selectors.visible_product(user=request.user, product_id=product_id)
    perform(request, lambda: quality.custom_check_create(
        actor=request.user, product=product, name=request.POST.get("name", ""),
        severity=request.POST.get("severity", "error"), description=request.POST.get("description", ""),
    ), "Check added. Automation can now post its results.")
    return redirect(_health_url(product))


def _trend_points(results, width=300, height=40) -> list[dict]:
    """Positions of the results on a small strip chart: passed high, failed low, error middle."""
    level = {"passed": 6, "error": height / 2, "failed": height - 6}
    step = width / max(len(results) - 1, 1)
    return [{"x": round(i * step if len(results) > 1 else width / 2, 1), "y": level.get(r.status, height / 2),
             "result": r} for i, r in enumerate(results)]


@login_required
@require_GET
def quality_check_detail(request, check_id):
    check = quality.check_for(user=request.user, check_id=check_id)
    product = check.product
    points = _trend_points(quality.trend(check))
    return render(request, "governance/quality/check_detail.html", {
        "check": check, "product": product, "space": product.space, "product_url": product_url(product),
        "health_url": _health_url(product), "results": quality.result_list(check=check)[:100],
        "points": points, "polyline": " ".join(f"{p['x']},{p['y']}" for p in points),
        "can_edit": access.can(request.user, access.EDIT, product)})
