"""The page of one model version: its fields, artifacts and the actions the user may take,
with the provenance panel (``governance.provenance``). Anyone who can view the record sees it;
a record or version the user cannot see answers 404."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import render
from django.views import View

from catalog import access
from governance import provenance
from modelrepo import rules
from modelrepo import selectors
from modelrepo.forms import ReasonForm
from modelrepo.views import details_of, display_rows, visible_record_or_404
from common import errors


class VersionDetailView(LoginRequiredMixin, View):
    template_name = "modelrepo/version_detail.html"

    def get(self, request, product_id, version_id):
        product = visible_record_or_404(request.user, product_id)
        try:
            version = selectors.version_get(product=product, version_id=version_id)
        except errors.NotFound:
            raise Http404("No such version.") from None
        data = provenance.version_provenance(user=request.user, product=product, version=version)
        context = {
            "product": product,
            "details": details_of(product),
            "space": product.space,
            "organization": product.space.organization,
            "version": version,
            "metric_rows": display_rows(version.metrics),
            "provenance": data,
            "can_edit": access.can(request.user, access.EDIT, product),
            "can_make_current": not data["is_current"] and rules.version_current_refusal(version) is None,
            "reason_form": ReasonForm(),
        }
        return render(request, self.template_name, context)
