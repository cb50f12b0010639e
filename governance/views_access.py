"""Browser pages of access requests and the inbox: asking for access to a space (from the
directory) or a product (from a link, answering the same whether or not it exists), one
request with its decisions, and the inbox of what waits for me and my own requests."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog.models import Space
from catalog import access
from catalog import selectors as catalog_selectors
from governance import access_requests, change_requests
from catalog.models import AccessLevel
from common import errors
from common.messages import perform

PRODUCT_REQUEST_SENT = ("If this product exists in your organization, its owners, stewards and space admins have "
                        "your request; follow it in your inbox.")




def _product_id(raw):
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return None


@login_required
@require_http_methods(["GET", "POST"])
def access_request_create(request, org_slug):
    """Ask for access to ``?space=<slug>`` or ``?product=<uuid>``. A product is never looked up
    to render this page, and a refused product answers like a recorded one, so the page says
    nothing about whether the product exists."""
    organization = catalog_selectors.visible_organization(request.user, org_slug, action=access.VIEW_DIRECTORY)
    source = request.POST if request.method == "POST" else request.GET
    product_raw = source.get("product", "")
    space = None
    if not product_raw:
        space = Space.objects.filter(organization=organization, slug=source.get("space", "")).first()
        if space is None:
            raise Http404("No such space.")
    level = source.get("level", AccessLevel.VIEW)
    justification = source.get("justification", "")
    form_errors = {}
    if request.method == "POST":
        try:
            access_requests.access_request_create(
                actor=request.user, space=space, product_id=_product_id(product_raw) if product_raw else None,
                level=level, justification=justification)
        except errors.ValidationFailed as exc:
            form_errors = exc.details or {"__all__": [exc.message]}
        except (errors.NotFound, errors.Conflict) as exc:
            if product_raw and (isinstance(exc, errors.NotFound) or exc.code == "duplicate"):
                messages.success(request, PRODUCT_REQUEST_SENT)
                return redirect("governance_access:inbox")
            form_errors = {"__all__": [exc.message]}
        else:
            messages.success(request, PRODUCT_REQUEST_SENT if product_raw else
                             f"Access to {space.name} requested; its admins were notified.")
            return redirect("governance_access:inbox")
    return render(request, "governance/access/access_request_form.html", {
        "organization": organization, "space": space, "product_raw": product_raw, "level": level,
        "levels": AccessLevel.choices, "justification": justification, "errors": form_errors,
        "all_errors": form_errors.get("__all__", [])}, status=400 if form_errors else 200)


def _access_request_or_404(user, access_request_id):
    try:
        return access_requests.visible_access_request(user=user, access_request_id=access_request_id)
    except errors.NotFound:
        raise Http404("No such access request.") from None


def target_label(user, access_request) -> str:
    """What the request is for, naming a product only to someone who may see or decide on it."""
    if access_request.product_id is None:
        return f"space {access_request.space.name}"
    product = access_request.product
    if access.can(user, access.VIEW, product) or access_requests.can_decide_access(user, access_request):
        return f"{product.name} (space {access_request.space.name})"
    return f"product {access_request.product_id}"


@login_required
@require_GET
def access_request_detail(request, access_request_id):
    access_request = _access_request_or_404(request.user, access_request_id)
    user = request.user
    decider = user.pk != access_request.requester_id and access_requests.can_decide_access(user, access_request)
    return render(request, "governance/access/access_request_detail.html", {
        "ar": access_request, "target": target_label(user, access_request),
        "can_decide": decider and access_request.status == "requested",
        "can_revoke": decider and access_request.status == "granted",
        "can_cancel": user.pk == access_request.requester_id and access_request.status == "requested"})


def _act(request, access_request_id, fn, success, **kwargs):
    access_request = _access_request_or_404(request.user, access_request_id)
    perform(request, lambda: fn(actor=request.user, access_request=access_request, **kwargs), success)
    return redirect("governance_access:access_request_detail", access_request_id=access_request.pk)


@login_required
@require_POST
def access_request_grant(request, access_request_id):
    return _act(request, access_request_id, access_requests.access_request_grant, "Access granted.",
                notes=request.POST.get("notes", ""))


@login_required
@require_POST
def access_request_reject(request, access_request_id):
    return _act(request, access_request_id, access_requests.access_request_reject, "Access request rejected.",
                notes=request.POST.get("notes", ""))


@login_required
@require_POST
def access_request_revoke(request, access_request_id):
    return _act(request, access_request_id, access_requests.access_request_revoke, "Access revoked.",
                notes=request.POST.get("notes", ""))


@login_required
@require_POST
def access_request_cancel(request, access_request_id):
    return _act(request, access_request_id, access_requests.access_request_cancel, "Access request cancelled.")


@login_required
@require_GET
def inbox(request):
    user = request.user
    to_decide = access_requests.access_requests_to_decide(user=user)
    mine = access_requests.access_request_list(user=user).filter(requester=user)
    return render(request, "governance/inbox.html", {
        "change_requests_to_review": change_requests.change_requests_to_review(user=user),
        "access_requests_to_decide": [(ar, target_label(user, ar)) for ar in to_decide],
        "my_change_requests": change_requests.change_request_list(user=user).filter(requester=user)[:50],
        "my_access_requests": [(ar, target_label(user, ar)) for ar in mine[:50]],
    })
