"""The access request pages: asking for access to a space (from the directory) or a product
(from a link, answering the same whether or not it exists), and one request with its
decisions."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog import access
from catalog import selectors as catalog_selectors
from catalog.models import AccessLevel, Space
from common import errors
from common.messages import attempt, perform
from governance import access_requests

PRODUCT_REQUEST_SENT = ("If this product exists in your organization, its owners, stewards and space admins have "
                        "your request; follow it in your inbox.")


def _product_id(raw):
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return None


def _answers_like_sent(product_raw, refusal) -> bool:
    """A refused product request that must read like a recorded one: the product is hidden or
    unknown, or the same request is already waiting."""
    duplicate = isinstance(refusal, errors.Conflict) and refusal.code == "duplicate"
    return bool(product_raw) and (isinstance(refusal, errors.NotFound) or duplicate)


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
        _, refusal = attempt(lambda: access_requests.access_request_create(
            actor=request.user, space=space, product_id=_product_id(product_raw) if product_raw else None,
            level=level, justification=justification), pages=(errors.PermissionDenied,))
        if refusal is None or _answers_like_sent(product_raw, refusal):
            messages.success(request, PRODUCT_REQUEST_SENT if product_raw else
                             f"Access to {space.name} requested; its admins were notified.")
            return redirect("governance:inbox")
        on_fields = isinstance(refusal, errors.ValidationFailed) and refusal.details
        form_errors = on_fields or {"__all__": [refusal.message]}
    return render(request, "governance/access/access_request_form.html", {
        "organization": organization, "space": space, "product_raw": product_raw, "level": level,
        "levels": AccessLevel.choices, "justification": justification, "errors": form_errors,
        "all_errors": form_errors.get("__all__", [])}, status=400 if form_errors else 200)


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
    access_request = access_requests.visible_access_request(user=request.user, access_request_id=access_request_id)
    user = request.user
    decider = user.pk != access_request.requester_id and access_requests.can_decide_access(user, access_request)
    return render(request, "governance/access/access_request_detail.html", {
        "ar": access_request, "target": target_label(user, access_request),
        "can_decide": decider and access_request.status == "requested",
        "can_revoke": decider and access_request.status == "granted",
        "can_cancel": user.pk == access_request.requester_id and access_request.status == "requested"})


def _decision(service, success, *fields):
    """The view of a decision on an access request (or the requester's cancel): ``service``
    with the named POST fields, then back to the request's page, where ``perform`` shows how
    it went."""

    @login_required
    @require_POST
    def view(request, access_request_id):
        access_request = access_requests.visible_access_request(user=request.user, access_request_id=access_request_id)
        data = {name: request.POST.get(name, "") for name in fields}
        perform(request, lambda: service(actor=request.user, access_request=access_request, **data), success)
        return redirect("governance:access_request_detail", access_request_id=access_request.pk)
    return view


access_request_grant = _decision(access_requests.access_request_grant, "Access granted.", "notes")
access_request_reject = _decision(access_requests.access_request_reject, "Access request rejected.", "notes")
access_request_revoke = _decision(access_requests.access_request_revoke, "Access revoked.", "notes")
access_request_cancel = _decision(access_requests.access_request_cancel, "Access request cancelled.")
