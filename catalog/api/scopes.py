"""What an API path names in the catalog, looked up through the access policy: a space, an
organization or a product the caller cannot see answers 404, exactly like one that does not
exist. The view bases give each view under such a path its object in one call."""

from catalog import access
from catalog import selectors as catalog_selectors
from catalog.models import Organization, Space
from common.api.schema import uuid_path_parameter
from common.api.views import ApiView
from common.errors import NotFound, PermissionDenied

PRODUCT_ID = uuid_path_parameter("product_id", "The product's id.")


def visible_space(user, slug: str) -> Space:
    space = access.visible_spaces(user).select_related("organization").filter(slug=slug).first()
    if space is None:
        raise NotFound(f"No space “{slug}” exists, or you cannot see it; check the slug or ask a space admin for access.")
    return space


def member_organization(user, slug: str) -> Organization:
    organization = access.visible_organizations(user).filter(slug=slug).first()
    if organization is None:
        raise NotFound(f"No organization “{slug}” exists, or you are not a member of it.")
    return organization


def permitted(user, action: str, obj, message: str):
    """``obj`` when ``user`` may take ``action`` on it; otherwise 403 with ``message`` (the
    caller has already been shown ``obj`` exists)."""
    if not access.can(user, action, obj):
        raise PermissionDenied(message)
    return obj


class SpaceView(ApiView):
    """A view under ``catalog/spaces/<space_slug>``."""

    def space(self) -> Space:
        return visible_space(self.request.user, self.kwargs["space_slug"])


class OrganizationView(ApiView):
    """A view under ``organizations/<org_slug>``, for the organization's members."""

    def organization(self) -> Organization:
        return member_organization(self.request.user, self.kwargs["org_slug"])


class ProductView(ApiView):
    """A view under ``catalog/products/<product_id>``: any catalog product the caller may view."""

    def product(self):
        return catalog_selectors.visible_product(user=self.request.user, product_id=self.kwargs["product_id"])
