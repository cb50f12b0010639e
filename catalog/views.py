"""Browser pages of the catalog: the organization's space directory and the user's API tokens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from catalog import services
from catalog.forms import ApiTokenForm, token_status
from catalog.models import ApiToken, Space
from catalog import access
from common import errors


@login_required
def space_directory(request, org_slug):
    """Every space of the organization by name, so members know where to ask for access;
    contents stay behind the access policy."""
    organization = access.visible_organizations(request.user).filter(slug=org_slug).first()
    if organization is None or not access.can(request.user, access.VIEW_DIRECTORY, organization):
        raise Http404("No such organization.")
    openable = set(access.visible_spaces(request.user, organization=organization).values_list("pk", flat=True))
    spaces = [(space, space.pk in openable) for space in Space.objects.filter(organization=organization)]
    return render(request, "catalog/space_directory.html", {"organization": organization, "spaces": spaces})


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request):
    """The user's tokens and the create form. A new token's secret is rendered once, in the
    response to the create request, and never kept anywhere."""
    form = ApiTokenForm(request.POST or None)
    created = secret = None
    if request.method == "POST" and form.is_valid():
        try:
            created, secret = services.api_token_create(
                actor=request.user, name=form.cleaned_data["name"], scope=form.cleaned_data["scope"],
                expires_at=form.expiry(),
            )
        except errors.ValidationFailed as exc:
            form.add_service_errors(exc)
        else:
            form = ApiTokenForm()
    tokens = [(token, token_status(token)) for token in ApiToken.objects.filter(user=request.user)]
    context = {"form": form, "tokens": tokens, "created": created, "secret": secret}
    response = render(request, "catalog/token_list.html", context)
    if secret:
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request, token_id):
    token = ApiToken.objects.filter(user=request.user, pk=token_id).first()
    if token is None:
        raise Http404("No such token.")
    services.api_token_revoke(actor=request.user, token=token)
    messages.success(request, f"Token “{token.name}” revoked; requests that use it are now refused.")
    return redirect("catalog:token_list")


def _managed_space_or_404(user, space_slug):
    """The space, if ``user`` manages it: 404 to whoever cannot see it, 403 to other members."""
    from django.core.exceptions import PermissionDenied as HttpForbidden

    space = access.visible_spaces(user).filter(slug=space_slug).select_related("organization").first()
    if space is None:
        raise Http404("No such space.")
    if not access.can(user, access.MANAGE, space):
        raise HttpForbidden("Only space admins manage members.")
    return space


@login_required
@require_http_methods(["GET", "POST"])
def space_members(request, space_slug):
    """The space's members; a space admin adds a user of the organization with a role,
    changes a role or removes a member. Every change goes through an audited service."""
    from django.contrib.auth import get_user_model

    from catalog.choices import SpaceRole
    from catalog.models import OrganizationMembership, SpaceMembership

    space = _managed_space_or_404(request.user, space_slug)
    if request.method == "POST":
        action = request.POST.get("action", "")
        user = get_user_model().objects.filter(username=request.POST.get("username", "")).first()
        role = request.POST.get("role", "")
        try:
            if action == "add":
                services.space_member_add(actor=request.user, space=space, user=user, role=role)
                messages.success(request, f"{user.get_username()} added as {role}.")
            elif user is None:
                raise errors.NotFound("This user is not a member of the space.")
            elif action == "change":
                services.space_member_change_role(actor=request.user, space=space, user=user, role=role)
                messages.success(request, f"{user.get_username()} is now {role}.")
            elif action == "remove":
                services.space_membership_remove(actor=request.user, space=space, user=user)
                messages.success(request, f"{user.get_username()} removed from {space.name}.")
            else:
                raise errors.ValidationFailed("Choose add, change or remove.")
        except errors.DomainError as exc:
            messages.error(request, exc.message)
        return redirect("catalog:space_members", space_slug=space.slug)
    memberships = SpaceMembership.objects.filter(space=space).select_related("user").order_by("user__username")
    candidates = (OrganizationMembership.objects.filter(organization=space.organization)
                  .exclude(user__in=memberships.values("user")).select_related("user").order_by("user__username"))
    return render(request, "catalog/space_members.html", {
        "space": space, "organization": space.organization, "memberships": memberships,
        "candidates": [m.user for m in candidates], "roles": SpaceRole.choices})
