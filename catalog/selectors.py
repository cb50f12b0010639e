"""Reads of the catalog restricted by the access policy: what a user may see, or NotFound
(the same answer for what does not exist and what they may not see)."""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from catalog import access
from catalog.models import Organization, Product, ProductRole, Space
from common.errors import NotFound


def visible_product(*, user, product_id) -> Product:
    """Any catalog product ``user`` may view, or NotFound (also for a malformed id)."""
    try:
        return access.restrict(Product.objects.select_related("space__organization"), user).get(pk=product_id)
    except (Product.DoesNotExist, ValidationError, ValueError):
        raise NotFound("No product with this id exists, or you cannot see it.") from None


def product_roles(*, product: Product) -> QuerySet:
    return ProductRole.objects.filter(product=product).select_related("user").order_by("role", "user__username")


def visible_space(user, slug) -> Space:
    """The space ``slug`` if ``user`` may see its contents, or NotFound."""
    space = access.visible_spaces(user).select_related("organization").filter(slug=slug).first()
    if space is None:
        raise NotFound("No space with this name exists, or you cannot see it.")
    return space


def visible_organization(user, slug, *, action: str = access.VIEW) -> Organization:
    """The organization ``slug`` if ``user`` belongs to it (and may take ``action`` on it), or NotFound."""
    organization = access.visible_organizations(user).filter(slug=slug).first()
    if organization is None or not access.can(user, action, organization):
        raise NotFound("No organization with this name exists, or you cannot see it.")
    return organization
