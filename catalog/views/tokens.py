"""The user's API tokens: the list, the create form, and revoking one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from catalog import services
from catalog.forms import ApiTokenForm, token_status
from catalog.models import ApiToken
from common.messages import submit


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request):
    """The user's tokens and the create form. A new token's secret is rendered once, in the
    response to the create request, and never kept anywhere."""
    form = ApiTokenForm(request.POST or None)
    created = secret = None
    if request.method == "POST" and form.is_valid():
        made, refusal = submit(form, lambda: services.api_token_create(
            actor=request.user, name=form.cleaned_data["name"], scope=form.cleaned_data["scope"],
            expires_at=form.expiry()))
        if not refusal:
            created, secret = made
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
