"""The change request pages: a record's list, the form (pre-filled from the query string when
a direct edit or action was refused), one request with its reviews, and the actions. The
current version, current artifact and a release are proposed through selects of the record's
versions and artifacts."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog import access
from catalog import selectors as catalog_selectors
from common.messages import attempt, perform
from governance import change_requests
from modelrepo import policy, proposals


@login_required
@require_GET
def change_request_list(request, product_id):
    product = catalog_selectors.visible_product(user=request.user, product_id=product_id)
    listed = change_requests.change_request_list(user=request.user, product=product)
    return render(request, "governance/requests/change_request_list.html", {
        "product": product, "space": product.space, "change_requests": listed,
        "can_open": access.can(request.user, access.COMMENT, product)})


@login_required
@require_http_methods(["GET", "POST"])
def change_request_create(request, product_id):
    product = catalog_selectors.visible_product(user=request.user, product_id=product_id)
    if not access.can(request.user, access.COMMENT, product):
        raise PermissionDenied("Only space members and product roles can open change requests on this record.")
    fields = proposals.fields()
    current = proposals.snapshot(product)
    source = request.POST if request.method == "POST" else request.GET
    proposed = {f: source.get(f"change__{f}", source.get(f, "")) for f in fields
                if f"change__{f}" in source or (request.method == "GET" and f in source)}
    extra = source.get("add_field", "")
    if extra in fields and extra not in proposed:
        proposed[extra] = source.get("add_value", "")
    form_errors, title, justification = {}, source.get("title", ""), source.get("justification", "")
    if request.method == "POST" and "add" not in request.POST:
        change_request, refusal = attempt(lambda: change_requests.change_request_create(
            actor=request.user, product=product, title=title, justification=justification,
            changes={f: proposals.coerce_form_value(f, v) for f, v in proposed.items()}))
        if not refusal:
            messages.success(request, "Change request opened; its reviewers were notified.")
            return redirect("governance:change_request_detail", change_request_id=change_request.pk)
        form_errors = refusal.details or {"__all__": [refusal.message]}
    choices = proposals.form_choices(product)
    rows = [{"field": f, "label": proposals.label(f), "new": v,
             "old_display": proposals.describe_value(product, f, current.get(f)), "choices": choices.get(f),
             "errors": form_errors.get(f, []), "governed": f in policy.governed_fields(product, {f: v})}
            for f, v in proposed.items()]
    other = [f for f in form_errors if f not in proposed]
    return render(request, "governance/requests/change_request_form.html", {
        "product": product, "space": product.space, "rows": rows,
        "fields": [(f, proposals.label(f)) for f in fields if f not in proposed],
        "title_value": title, "justification_value": justification,
        "errors": form_errors, "other_errors": [m for f in other for m in form_errors[f]]},
        status=400 if form_errors else 200)


@login_required
@require_GET
def change_request_detail(request, change_request_id):
    change_request = change_requests.visible_change_request(user=request.user, change_request_id=change_request_id)
    user = request.user
    status = change_request.status
    return render(request, "governance/requests/change_request_detail.html", {
        "cr": change_request, "product": change_request.product, "space": change_request.product.space,
        "changes": change_requests.describe_changes(change_request), "groups": change_requests.group_state(change_request),
        "reviews": change_request.reviews.select_related("reviewer"),
        "can_review": status == "pending" and change_requests.can_review(user, change_request)
        and not change_request.reviews.filter(reviewer=user).exists(),
        "can_apply": status == "approved" and change_requests.can_apply(user, change_request),
        "can_cancel": status in change_requests.OPEN_STATUSES and change_requests.can_cancel(user, change_request),
        "can_submit": status == "draft" and change_requests.can_cancel(user, change_request),
    })


def _step(service, success, *fields):
    """The view of a step of a change request (review, apply, cancel, submit): ``service``
    with the named POST fields, then back to the request's page, where ``perform`` shows how it
    went. ``success`` is the message, or a function of the POST data that gives it."""

    @login_required
    @require_POST
    def view(request, change_request_id):
        change_request = change_requests.visible_change_request(user=request.user, change_request_id=change_request_id)
        data = {name: request.POST.get(name, "") for name in fields}
        told = success(data) if callable(success) else success
        perform(request, lambda: service(actor=request.user, change_request=change_request, **data), told)
        return redirect("governance:change_request_detail", change_request_id=change_request.pk)
    return view


change_request_review = _step(change_requests.change_request_review,
                              lambda data: "Approved." if data["decision"] == "approve" else "Rejected.",
                              "decision", "notes")
change_request_apply = _step(change_requests.change_request_apply, "Change request applied.")
change_request_cancel = _step(change_requests.change_request_cancel, "Change request cancelled.")
change_request_submit = _step(change_requests.change_request_submit, "Submitted for review.")
