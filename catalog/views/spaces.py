"""The organization's space directory and a space's members."""

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from catalog import access, services
from catalog import selectors as catalog_selectors
from catalog.choices import SpaceRole
from catalog.models import OrganizationMembership, Space, SpaceMembership
from common import errors
from common.messages import perform


@login_required
def space_directory(request, org_slug):
    """Every space of the organization by name, so members know where to ask for access;
    contents stay behind the access policy."""
    organization = catalog_selectors.visible_organization(request.user, org_slug, action=access.VIEW_DIRECTORY)
    openable = set(access.visible_spaces(request.user, organization=organization).values_list("pk", flat=True))
    spaces = [(space, space.pk in openable) for space in Space.objects.filter(organization=organization)]
    return render(request, "catalog/space_directory.html", {"organization": organization, "spaces": spaces})


@login_required
@require_http_methods(["GET", "POST"])
def space_members(request, space_slug):
    """The space's members; a space admin adds a user of the organization with a role,
    changes a role or removes a member. Every change goes through an audited service, and
    every refusal is a message on this page."""
    space = catalog_selectors.visible_space(request.user, space_slug)
    if not access.can(request.user, access.MANAGE, space):
        raise PermissionDenied("Only space admins manage members.")
    if request.method == "POST":
        perform(request, lambda: _change_membership(request.user, space, request.POST),
                success=lambda told: told, pages=())
        return redirect("catalog:space_members", space_slug=space.slug)
    memberships = SpaceMembership.objects.filter(space=space).select_related("user").order_by("user__username")
    candidates = (OrganizationMembership.objects.filter(organization=space.organization)
                  .exclude(user__in=memberships.values("user")).select_related("user").order_by("user__username"))
    return render(request, "catalog/space_members.html", {
        "space": space, "organization": space.organization, "memberships": memberships,
        "candidates": [m.user for m in candidates], "roles": SpaceRole.choices})


def _change_membership(actor, space, data) -> str:
    """The change the members form asks for; returns what to tell the admin."""
    action, role = data.get("action", ""), data.get("role", "")
    user = get_user_model().objects.filter(username=data.get("username", "")).first()
    if action == "add":
        services.space_member_add(actor=actor, space=space, user=user, role=role)
        return f"{user.get_username()} added as {role}."
    if user is None:
        raise errors.NotFound("This user is not a member of the space.")
    if action == "change":
        services.space_member_change_role(actor=actor, space=space, user=user, role=role)
        return f"{user.get_username()} is now {role}."
    if action == "remove":
        services.space_membership_remove(actor=actor, space=space, user=user)
        return f"{user.get_username()} removed from {space.name}."
    raise errors.ValidationFailed("Choose add, change or remove.")
