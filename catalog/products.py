"""Data products (every product type that is not AI/ML): the list read and the create write.
Creating goes through ``catalog.services.product_create``, which holds the catalog's rules
(name and slug unique in the space, the space's product limit, the audit event)."""

from django.db.models import QuerySet

from catalog import access, services
from catalog.choices import DATA_PRODUCT_TYPES
from catalog.models import Product, Space
from common.errors import ValidationFailed

DATA_PRODUCT_FIELDS = ("product_type", "name", "slug", "description", "documentation", "provider",
                       "hosting_location", "criticality", "sensitivity")


def data_product_list(*, user, space: Space | None = None, include_archived: bool = False) -> QuerySet:
    qs = access.restrict(Product.objects.filter(product_type__in=DATA_PRODUCT_TYPES), user)
    if space is not None:
        qs = qs.filter(space=space)
    if not include_archived:
        qs = qs.filter(is_archived=False)
    return qs.select_related("space").prefetch_related("tags").order_by("name")


def data_product_create(*, actor, space: Space, data: dict, tags=None) -> Product:
    if data.get("product_type") not in DATA_PRODUCT_TYPES:
        raise ValidationFailed(
            "Choose a data product type: " + ", ".join(str(t) for t in DATA_PRODUCT_TYPES) + "; model records are "
            "created in the model repository.",
            details={"product_type": ["Not a data product type."]},
        )
    data = {k: v for k, v in data.items() if k in DATA_PRODUCT_FIELDS}
    return services.product_create(actor=actor, space=space, data=data, tags=tags,
                                   audit_action="data_product.created")
