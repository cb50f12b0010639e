"""A record's collaboration, shown on its Governance tab: product roles, comments and
attachments. Each change is a POST that goes back to the tab, where a refusal is shown as a
message (``common.messages.perform``)."""

import functools

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from catalog import access, collab, roles, selectors
from catalog.choices import ProductRoleName
from catalog.models import Attachment, Comment, ProductRole
from common.messages import perform


def governance_tab_context(request, product) -> dict:
    """What the Governance tab shows: product roles, comments, attachments, and what the
    user may do with them."""
    user = request.user
    granted = access.permitted_actions(user, product)
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


def _from_governance_tab(change):
    """A POST from a record's Governance tab: ``change(request, product, **url_kwargs)`` runs on
    the product the user can see, then the answer goes back to the tab, where ``perform``
    shows how it went."""

    @login_required
    @require_POST
    @functools.wraps(change)
    def view(request, product_id, **kwargs):
        product = selectors.visible_product(user=request.user, product_id=product_id)
        change(request, product, **kwargs)
        return redirect(reverse("modelrepo:model_tab", kwargs={"product_id": product.pk, "tab": "governance"}))
    return view


def _comment_or_404(product, comment_id):
    comment = Comment.objects.filter(product=product, pk=comment_id).select_related("product__space").first()
    if comment is None:
        raise Http404("No such comment.")
    return comment


def _attachment_or_404(product, attachment_id):
    attachment = Attachment.objects.filter(product=product, pk=attachment_id).select_related("product__space").first()
    if attachment is None:
        raise Http404("No such attachment.")
    return attachment


@_from_governance_tab
def product_role_add(request, product):
    if not access.can(request.user, access.ASSIGN_ROLES, product):
        raise PermissionDenied("Only the product's owners and space admins can assign product roles.")
    user = roles.resolve_assignee(request.POST.get("username", ""))
    role = request.POST.get("role", "")
    perform(request, lambda: roles.product_role_assign(
        actor=request.user, product=product, user=user, role=role), f"Role {role} assigned.")


@_from_governance_tab
def product_role_remove(request, product, role_id):
    product_role = ProductRole.objects.filter(product=product, pk=role_id).select_related("user", "product").first()
    if product_role is None:
        raise Http404("No such product role.")
    perform(request, lambda: roles.product_role_remove(actor=request.user, product_role=product_role), "Role removed.")


@_from_governance_tab
def comment_add(request, product):
    perform(request, lambda: collab.comment_create(
        actor=request.user, product=product, body=request.POST.get("body", "")), "Comment added.")


@_from_governance_tab
def comment_edit(request, product, comment_id):
    comment = _comment_or_404(product, comment_id)
    perform(request, lambda: collab.comment_update(
        actor=request.user, comment=comment, body=request.POST.get("body", "")), "Comment updated.")


@_from_governance_tab
def comment_delete(request, product, comment_id):
    comment = _comment_or_404(product, comment_id)
    perform(request, lambda: collab.comment_delete(actor=request.user, comment=comment), "Comment deleted.")


@_from_governance_tab
def attachment_add(request, product):
    perform(request, lambda: collab.attachment_upload(
        actor=request.user, product=product, uploaded_file=request.FILES.get("file")), "File attached.")


@_from_governance_tab
def attachment_delete(request, product, attachment_id):
    attachment = _attachment_or_404(product, attachment_id)
    perform(request, lambda: collab.attachment_delete(actor=request.user, attachment=attachment), "Attachment deleted.")


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
    product = selectors.visible_product(user=request.user, product_id=product_id)
    return attachment_response(_attachment_or_404(product, attachment_id))
