"""Looking up the space or organization an API path names, through the access policy:
one the caller cannot see answers 404, exactly like one that does not exist."""

from catalog.models import Organization, Space
from catalog import access
from common.errors import NotFound


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
