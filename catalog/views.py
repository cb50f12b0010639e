"""Browser pages of the catalog: the organization's space directory and the user's API tokens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from catalog import services
from catalog.forms import ApiTokenForm, token_status
from catalog.models import ApiToken, Space
from governance import access
from qarion import errors


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
