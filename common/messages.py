"""How domain errors reach a person in the pages, in one place. A NotFound or PermissionDenied
leaving a view becomes the 404 or 403 page (``DomainErrorPages``), so views never catch them.
Any other refusal is shown where the person acted: as a flash message on the page a POST goes
back to (``perform``), or on the form they sent (``submit``, and ``FormPageMixin`` for a page
whose form one service call saves). ``attempt`` is what they run on; a page that shows a
refusal its own way calls it directly. A refusal that offers a change
request carries the pre-filled form's address in ``details["change_request_url"]``; it is shown
as a link instead of as text."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.html import format_html

from common import errors

# The domain errors that answer an error page rather than a message on the page.
ERROR_PAGES = (errors.NotFound, errors.PermissionDenied)


def attempt(action, *, pages=ERROR_PAGES):
    """Run ``action()`` (one service call): ``(result, None)`` when it went through, or
    ``(None, refusal)`` for a domain error the page shows. The kinds in ``pages`` are not
    caught: they leave the view for the 404 or 403 page."""
    try:
        return action(), None
    except pages:
        raise
    except errors.DomainError as exc:
        return None, exc


def refused(request, exc) -> None:
    """Add ``exc`` (a DomainError) as an error message, linking the change request it offers."""
    url = (getattr(exc, "details", None) or {}).get("change_request_url")
    if not url:
        messages.error(request, exc.message)
        return
    text = exc.message.replace(url, "").strip()
    messages.error(request, format_html('{} <a class="alert-link" href="{}">Open a change request with this change</a>.',
                                        text, url))


def perform(request, action, success, *, pages=ERROR_PAGES) -> bool:
    """Run ``action()`` for a POST that goes back to a page: flash ``success`` (text, or a
    function of the action's result), or the refusal as an error message. Returns whether the
    action went through."""
    result, refusal = attempt(action, pages=pages)
    if refusal is not None:
        refused(request, refusal)
        return False
    messages.success(request, success(result) if callable(success) else success)
    return True


def submit(form, action):
    """Run ``action()`` for a bound, valid ``form``: ``(result, None)``, or ``(None, refusal)``
    with the refusal on the form, so the view renders it again. The messages of
    ``refusal.details`` go on the fields they name (``form.service_field_names`` maps the
    service's names to the form's), the rest and any refusal without details form-wide, and an
    offered change request to ``form.change_request_url``."""
    result, refusal = attempt(action)
    if refusal is None:
        return result, None
    details = refusal.details or {}
    renamed = getattr(form, "service_field_names", {})
    form.change_request_url = details.get("change_request_url", "")
    unplaced = not details
    for name, texts in details.items():
        name = renamed.get(name, name)
        texts = texts if isinstance(texts, (list, tuple)) else [texts]
        if name in form.fields or name in ("non_field_errors", "__all__"):
            for text in texts:
                form.add_error(name if name in form.fields else None, str(text))
        else:
            unplaced = True
    if unplaced:
        form.add_error(None, refusal.message)
    return None, refusal


class FormPageMixin:
    """The flow of a page whose form one service call saves. GET shows ``form()``; POST checks
    the form's shape, then runs ``save(form)`` through ``submit``: a refusal shows the form again
    with the service's error on it, success flashes ``saved_message(saved)`` and answers
    ``saved_redirect(saved)``. The form shown again answers ``invalid_status``, or 409 when the
    state refuses the change (a Conflict). ``load(**url_kwargs)`` first finds what the page is
    about. The view gives ``form(data=None)``, ``save(form)`` (the one service call, returning
    what it saved), ``saved_message``, ``saved_redirect`` and ``render_form(request, form,
    status)``; it comes first among the bases so that its ``get`` and ``post`` are the page's."""

    invalid_status = 200

    def load(self, **kwargs) -> None:
        """Look up what the page is about from the URL (a NotFound: the 404 page)."""

    def get(self, request, **kwargs):
        self.load(**kwargs)
        return self.render_form(request, self.form())

    def post(self, request, **kwargs):
        self.load(**kwargs)
        form = self.form(request.POST)
        if not form.is_valid():
            return self.render_form(request, form, status=self.invalid_status)
        saved, refusal = submit(form, lambda: self.save(form))
        if refusal:
            status = 409 if isinstance(refusal, errors.Conflict) else self.invalid_status
            return self.render_form(request, form, status=status)
        messages.success(request, self.saved_message(saved))
        return self.saved_redirect(saved)


class DomainErrorPages:
    """Maps a domain error that leaves an HTML view to the page a person expects: NotFound
    answers the 404 page, PermissionDenied the 403 page, with the service's message. API views
    map every domain error themselves (common.api.errors), so this never sees them."""

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
