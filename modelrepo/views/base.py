"""What the record pages share: the record a page is about, its page context, and how its
JSON values read."""

import json

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views import View

from catalog import access
from common.messages import FormPageMixin
from modelrepo import selectors
from modelrepo.choices import VersionStatus
from modelrepo.models import ModelDetails

DEFAULT_PAGE_SIZE = 25


def record_context(product, **context) -> dict:
    """The record and where it lives, for the breadcrumbs and the navigation."""
    return {"product": product, "space": product.space, "organization": product.space.organization, **context}


def details_of(product):
    try:
        return product.model_details
    except ModelDetails.DoesNotExist:  # a product created outside the model repository
        return None


def display_value(value) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def display_rows(mapping) -> list[tuple[str, str]]:
    """``(name, text)`` rows of a JSON object (metrics, format details), in name order."""
    if not isinstance(mapping, dict):
        return []
    return [(str(name), display_value(value)) for name, value in sorted(mapping.items())]


def draft_versions(product):
    """The versions whose files may still change, newest first: where a file can be added."""
    return selectors.version_list(product=product).exclude(status=VersionStatus.RELEASED).order_by("-created_at", "-id")


class RecordView(LoginRequiredMixin, View):
    """A page of one model record: signed in, then the record (404 to whoever cannot view it),
    then edit access (403) for the methods in ``edit_methods``."""

    edit_methods = ()
    extra_context = None  # what every render of the page adds to the record's context
    denied_message = "You can view “{name}” but not change it. Ask a space admin or the record's owner for edit access."

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.product = selectors.model_record_get(user=request.user, product_id=kwargs["product_id"])
        self.can_edit = access.can(request.user, access.EDIT, self.product)
        if request.method.lower() in self.edit_methods and not self.can_edit:
            raise PermissionDenied(self.denied_message.format(name=self.product.name))
        return super().dispatch(request, *args, **kwargs)

    def record_context(self, **context) -> dict:
        return record_context(self.product, **context)

    def render_form(self, request, form, status=200, **context):
        context = self.record_context(form=form, **(self.extra_context or {}), **context)
        return render(request, self.template_name, context, status=status)

    def tab_redirect(self, tab):
        return redirect("modelrepo:model_tab", product_id=self.product.pk, tab=tab)


class RecordChangeView(RecordView):
    """A page that changes the record, its versions or its artifacts: every method needs edit
    access."""

    edit_methods = View.http_method_names


class RecordFormView(FormPageMixin, RecordChangeView):
    """A form that changes the record or adds to it (``common.messages.FormPageMixin``)."""

    tab = "versions"

    def saved_redirect(self, saved):
        return self.tab_redirect(self.tab)
