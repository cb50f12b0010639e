"""Celery tasks of governance: ids in, re-fetch, call a service; safe to run twice."""

from celery import shared_task

from catalog.models import Product
from governance import quality


@shared_task(name="governance.tasks.run_quality_checks")
def run_quality_checks() -> int:
    """The periodic run of every product's built-in checks."""
    return quality.run_all()


@shared_task(name="governance.tasks.run_product_quality_checks", acks_late=True)
def run_product_quality_checks(product_id: str) -> None:
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        return
    quality.checks_run(product=product)
