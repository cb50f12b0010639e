"""Collaboration on products: markdown comments and file attachments.

Comments render through Markdown and then nh3 with a strict allow-list, so raw HTML,
``<script>``, ``javascript:`` links and event-handler attributes come out inert. Attachments
are stored under a key derived from their id (never the file name) and served only as
downloads. Every write is atomic and appends one audit event on the product."""

import hashlib
import mimetypes

import markdown
import nh3
from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from catalog import access, audit
from catalog.models import Attachment, Comment, Product
from common.errors import DomainError, PermissionDenied, invalid

COMMENT_MAX_LENGTH = 20_000
ALLOWED_TAGS = {
    "a", "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "del",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


class AttachmentTooLarge(DomainError):
    status = 413
    code = "attachment_too_large"


def render_markdown(text: str) -> str:
    """Safe HTML for user markdown: anything outside the allow-list is removed."""
    html = markdown.markdown(text or "", extensions=["fenced_code", "tables", "sane_lists"])
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
    )


# --- comments -------------------------------------------------------------------------------

def comment_list(*, product: Product) -> QuerySet:
    return Comment.objects.filter(product=product).order_by("created_at")


def _clean_body(body) -> str:
    body = (body or "").strip() if isinstance(body, str) else ""
    if not body:
        raise invalid({"body": ["Write something: a comment cannot be empty."]})
    if len(body) > COMMENT_MAX_LENGTH:
        raise invalid({"body": [f"Keep a comment under {COMMENT_MAX_LENGTH} characters."]})
    return body


def comment_create(*, actor, product: Product, body: str) -> Comment:
    if not access.can(actor, access.COMMENT, product):
        raise PermissionDenied("Only space members and above, and people with a role on the product, can comment.")
    body = _clean_body(body)
    with transaction.atomic():
        comment = Comment.objects.create(product=product, author=actor, author_name=actor.get_username(), body=body)
        audit.record(actor=actor, action="comment.created", target=product,
                     changes={"comment": {"old": None, "new": str(comment.pk)}, "body": {"old": None, "new": body}})
    return comment


def comment_update(*, actor, comment: Comment, body: str) -> Comment:
    if comment.is_deleted:
        raise invalid({"body": ["This comment was deleted; it can no longer be edited."]})
    if comment.author_id != actor.pk or not access.can(actor, access.VIEW, comment.product):
        raise PermissionDenied("Only the author can edit a comment.")
    body = _clean_body(body)
    with transaction.atomic():
        old = comment.body
        comment.body = body
        comment.edited_at = timezone.now()
        comment.save(update_fields=["body", "edited_at"])
        audit.record(actor=actor, action="comment.updated", target=comment.product,
                     changes={"comment": {"old": str(comment.pk), "new": str(comment.pk)},
                              "body": {"old": old, "new": body}})
    return comment


def _author_or_manager(user, author_id, product) -> bool:
    """Its author while they can still see the product, or whoever manages the space."""
    if author_id is not None and author_id == getattr(user, "pk", None):
        return access.can(user, access.VIEW, product)
    return access.can(user, access.MANAGE, product)


def can_delete_comment(user, comment: Comment) -> bool:
    return not comment.is_deleted and _author_or_manager(user, comment.author_id, comment.product)


def comment_delete(*, actor, comment: Comment) -> Comment:
    """Leaves a "deleted" marker in the thread; the body is kept only in the audit event."""
    if not can_delete_comment(actor, comment):
        raise PermissionDenied("Only the author (or a space admin) can delete a comment.")
    with transaction.atomic():
        old = comment.body
        comment.body = ""
        comment.deleted_at = timezone.now()
        comment.save(update_fields=["body", "deleted_at"])
        audit.record(actor=actor, action="comment.deleted", target=comment.product,
                     changes={"comment": {"old": str(comment.pk), "new": None}, "body": {"old": old, "new": None}})
    return comment


# --- attachments ----------------------------------------------------------------------------

def attachment_storage():
    return storages["artifacts"]


def attachment_key(attachment_id) -> str:
    hex_id = attachment_id.hex
    return f"attachments/{hex_id[:2]}/{hex_id}"


def attachment_list(*, product: Product) -> QuerySet:
    return Attachment.objects.filter(product=product).order_by("-created_at")


def _clean_file_name(name) -> str:
    name = str(name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())
    if not name or name in (".", ".."):
        raise invalid({"file": ["The file needs a name."]})
    return name[:255]


def attachment_upload(*, actor, product: Product, uploaded_file) -> Attachment:
    """Stores ``uploaded_file`` (a Django UploadedFile) and records it."""
    if not access.can(actor, access.EDIT, product):
        raise PermissionDenied("Only people who can edit the product can attach files.")
    if uploaded_file is None:
        raise invalid({"file": ["Choose a file to attach."]})
    limit = settings.QARION_ATTACHMENT_MAX_SIZE
    if uploaded_file.size > limit:
        raise AttachmentTooLarge(
            f"The file is {uploaded_file.size} bytes; attachments may be at most {limit} bytes.",
            details={"size_bytes": uploaded_file.size, "max_size_bytes": limit},
        )
    file_name = _clean_file_name(uploaded_file.name)
    digest = hashlib.sha256()
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    uploaded_file.seek(0)
    attachment = Attachment(
        product=product, file_name=file_name, size_bytes=uploaded_file.size, sha256=digest.hexdigest(),
        content_type=mimetypes.guess_type(file_name)[0] or "application/octet-stream",
        uploaded_by=actor, uploaded_by_name=actor.get_username(),
    )
    storage = attachment_storage()
    attachment.storage_key = storage.save(attachment_key(attachment.pk), File(uploaded_file))
    try:
        with transaction.atomic():
            attachment.save(force_insert=True)
            audit.record(actor=actor, action="attachment.uploaded", target=product, changes={
                "attachment": {"old": None, "new": str(attachment.pk)},
                "file_name": {"old": None, "new": file_name},
                "size_bytes": {"old": None, "new": attachment.size_bytes},
                "sha256": {"old": None, "new": attachment.sha256},
            })
    except Exception:
        storage.delete(attachment.storage_key)  # nothing half-written
        raise
    return attachment


def can_delete_attachment(user, attachment: Attachment) -> bool:
    return _author_or_manager(user, attachment.uploaded_by_id, attachment.product)


def attachment_delete(*, actor, attachment: Attachment) -> None:
    if not can_delete_attachment(actor, attachment):
        raise PermissionDenied("Only the uploader or a space admin can delete an attachment.")
    key = attachment.storage_key
    with transaction.atomic():
        audit.record(actor=actor, action="attachment.deleted", target=attachment.product, changes={
            "attachment": {"old": str(attachment.pk), "new": None},
            "file_name": {"old": attachment.file_name, "new": None},
        })
        Attachment.objects.filter(pk=attachment.pk).delete()
        transaction.on_commit(lambda: attachment_storage().delete(key))


def attachment_open(attachment: Attachment):
    return attachment_storage().open(attachment.storage_key, "rb")
