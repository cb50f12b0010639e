"""Browser pages of governance: the space and organization audit logs (with CSV and JSON
Lines exports), product roles, comments and attachments on a record's Governance tab.
Reads go through selectors, writes through services; what a user may not see answers 404,
what they may see but not change 403."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from catalog import collab
from catalog.models import Attachment, Comment
from catalog import access
from governance import selectors, services
from catalog.choices import ProductRoleName
from governance.filtersets import AuditEventFilterSet
from catalog.models import ProductRole
from common import errors

AUDIT_PAGE_SIZE = 50
EXPORTS = {
    "csv": ("text/csv; charset=utf-8", "csv", selectors.csv_lines),
    "jsonl": ("application/jsonl; charset=utf-8", "jsonl", selectors.jsonl_lines),
}


def _visible_space_or_404(user, slug):
    space = access.visible_spaces(user).select_related("organization").filter(slug=slug).first()
    if space is None:
        raise Http404("No such space.")
    return space


def _visible_organization_or_404(user, slug):
    organization = access.visible_organizations(user).filter(slug=slug).first()
    if organization is None:
        raise Http404("No such organization.")
    return organization


def _product_or_404(user, product_id):
    try:
        return selectors.visible_product(user=user, product_id=product_id)
    except errors.NotFound:
        raise Http404("No such product.") from None


def _guarded(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except errors.PermissionDenied as exc:
        raise PermissionDenied(exc.message) from None


def _audit_page(request, events, *, title, scope_name, context):
    filterset = AuditEventFilterSet(request.GET, queryset=events)
    filtered = filterset.qs
    export = request.GET.get("export")
    if export in EXPORTS:
        content_type, extension, lines = EXPORTS[export]
        response = StreamingHttpResponse(lines(filtered), content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(True, f"audit-{scope_name}.{extension}")
        response["X-Content-Type-Options"] = "nosniff"
        return response
    page = Paginator(filtered, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    context.update(title=title, filterset=filterset, page_obj=page, events=page.object_list,
                   filter_errors=[m for ms in filterset.errors.values() for m in ms])
    return render(request, "governance/audit_log.html", context)


@login_required
@require_GET
def space_audit(request, space_slug):
    space = _visible_space_or_404(request.user, space_slug)
    events = _guarded(selectors.space_audit_events, user=request.user, space=space)
    return _audit_page(request, events, title=f"Audit log of {space.name}", scope_name=space.slug,
                       context={"space": space, "organization": space.organization})


@login_required
@require_GET
def organization_audit(request, org_slug):
    organization = _visible_organization_or_404(request.user, org_slug)
    events = _guarded(selectors.organization_audit_events, user=request.user, organization=organization)
    return _audit_page(request, events, title=f"Audit log of {organization.name}", scope_name=organization.slug,
                       context={"organization": organization})


# --- the Governance tab -----------------------------------------------------------------------

def governance_tab_context(request, product) -> dict:
    """What the Governance tab shows: product roles, comments, attachments, and what the
    user may do with them."""
    user = request.user
    granted = access.grants(user, product)
    comments = list(collab.comment_list(product=product).select_related("product__space"))
    for comment in comments:
        comment.html = "" if comment.is_deleted else collab.render_markdown(comment.body)
        comment.can_edit = not comment.is_deleted and comment.author_id == user.pk
        comment.can_delete = collab.can_delete_comment(user, comment)
    attachments = list(collab.attachment_list(product=product).select_related("product__space"))
    for attachment in attachments:
        attachment.can_delete = collab.can_delete_attachment(user, attachment)
    return {
        "product_roles": selectors.product_roles(product=product),
        "role_choices": ProductRoleName.choices,
        "can_assign_roles": access.ASSIGN_ROLES in granted,
        "can_comment": access.COMMENT in granted,
        "can_attach": access.EDIT in granted,
        "comments": comments,
        "attachments": attachments,
        "attachment_max_size": settings.QARION_ATTACHMENT_MAX_SIZE,
    }


def _tab(product):
    return redirect(reverse("modelrepo:model_tab", kwargs={"product_id": product.pk, "tab": "governance"}))


def _run(request, tab_product, fn, success, **kwargs):
    """Calls the service; a domain error becomes a message on the tab, a refusal a 403."""
    try:
        fn(**kwargs)
    except errors.PermissionDenied as exc:
        raise PermissionDenied(exc.message) from None
    except errors.DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)


@login_required
@require_POST
def product_role_add(request, product_id):
    product = _product_or_404(request.user, product_id)
    if not access.can(request.user, access.ASSIGN_ROLES, product):
        raise PermissionDenied("Only the product's owners and space admins can assign product roles.")
    user = services.resolve_assignee(request.POST.get("username", ""))
    role = request.POST.get("role", "")
    _run(request, product, services.product_role_assign, f"Role {role} assigned.",
         actor=request.user, product=product, user=user, role=role)
    return _tab(product)


@login_required
@require_POST
def product_role_remove(request, product_id, role_id):
    product = _product_or_404(request.user, product_id)
    product_role = ProductRole.objects.filter(product=product, pk=role_id).select_related("user", "product").first()
    if product_role is None:
        raise Http404("No such product role.")
    _run(request, product, services.product_role_remove, "Role removed.", actor=request.user, product_role=product_role)
    return _tab(product)


@login_required
@require_POST
def comment_add(request, product_id):
    product = _product_or_404(request.user, product_id)
    _run(request, product, collab.comment_create, "Comment added.", actor=request.user, product=product,
         body=request.POST.get("body", ""))
    return _tab(product)


def _comment_or_404(product, comment_id):
    comment = Comment.objects.filter(product=product, pk=comment_id).select_related("product__space").first()
    if comment is None:
        raise Http404("No such comment.")
    return comment


@login_required
@require_POST
def comment_edit(request, product_id, comment_id):
    product = _product_or_404(request.user, product_id)
    comment = _comment_or_404(product, comment_id)
    _run(request, product, collab.comment_update, "Comment updated.", actor=request.user, comment=comment,
         body=request.POST.get("body", ""))
    return _tab(product)


@login_required
@require_POST
def comment_delete(request, product_id, comment_id):
    product = _product_or_404(request.user, product_id)
    comment = _comment_or_404(product, comment_id)
    _run(request, product, collab.comment_delete, "Comment deleted.", actor=request.user, comment=comment)
    return _tab(product)


def _attachment_or_404(product, attachment_id):
    attachment = Attachment.objects.filter(product=product, pk=attachment_id).select_related("product__space").first()
    if attachment is None:
        raise Http404("No such attachment.")
    return attachment


@login_required
@require_POST
def attachment_add(request, product_id):
    product = _product_or_404(request.user, product_id)
    _run(request, product, collab.attachment_upload, "File attached.", actor=request.user, product=product,
         uploaded_file=request.FILES.get("file"))
    return _tab(product)


@login_required
@require_POST
def attachment_delete(request, product_id, attachment_id):
    product = _product_or_404(request.user, product_id)
    attachment = _attachment_or_404(product, attachment_id)
    _run(request, product, collab.attachment_delete, "Attachment deleted.", actor=request.user, attachment=attachment)
    return _tab(product)


def attachment_response(attachment) -> FileResponse:
    """The bytes as a download: never rendered inline, never sniffed into something else."""
    response = FileResponse(collab.attachment_open(attachment), as_attachment=True, filename=attachment.file_name,
                            content_type="application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Content-Length"] = str(attachment.size_bytes)
    return response


@login_required
@require_GET
def attachment_download(request, product_id, attachment_id):
    product = _product_or_404(request.user, product_id)
    return attachment_response(_attachment_or_404(product, attachment_id))
