"""How domain errors reach a person in the pages: a refused POST becomes a flash message
(``perform``), a NotFound or PermissionDenied leaving a view becomes the 404 or 403 page
(``DomainErrorPages``). A refusal that offers a change request carries the
pre-filled form's address in ``details["change_request_url"]``; the message shows it as a link
instead of as text."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
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


class DomainErrorPages:
    """Maps a domain error that leaves an HTML view to the page a person expects: NotFound
    answers the 404 page, PermissionDenied the 403 page, with the service's message. Other
    domain errors are the view's to show (as a form error or with ``perform``). API views map
    every domain error themselves (common.api.errors), so this never sees them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, errors.NotFound):
            raise Http404(exception.message) from None
        if isinstance(exception, errors.PermissionDenied):
            raise PermissionDenied(exception.message) from None
        return None
