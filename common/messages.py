"""Flash messages for refused actions: a refusal that offers a change request carries the
pre-filled form's address in ``details["change_request_url"]``; the message shows it as a link
instead of as text."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.utils.html import format_html

from common import errors


def refused(request, exc) -> None:
    """Add ``exc`` (a DomainError) as an error message, linking the change request it offers."""
    url = (getattr(exc, "details", None) or {}).get("change_request_url")
    if not url:
        messages.error(request, exc.message)
        return
    text = exc.message.replace(url, "").strip()
    messages.error(request, format_html('{} <a class="alert-link" href="{}">Open a change request with this change</a>.',
                                        text, url))


def perform(request, action, success: str) -> bool:
    """Run ``action()`` (one service call) for a POST that goes back to a page: flash
    ``success``, or the refusal (a domain error) as an error message. A permission refusal
    answers 403. Returns whether the action went through."""
    try:
        action()
    except errors.PermissionDenied as exc:
        raise PermissionDenied(exc.message) from None
    except errors.DomainError as exc:
        refused(request, exc)
        return False
    messages.success(request, success)
    return True
