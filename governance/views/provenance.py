"""The page of one model version: its fields, artifacts and the actions the user may take,
with the provenance panel (``governance.provenance``). Anyone who can view the record sees it;
a record or version the user cannot see answers 404."""

from django.shortcuts import render

from governance import provenance
from modelrepo import rules, selectors
from modelrepo.forms import ReasonForm
from modelrepo.views.base import RecordView, details_of, display_rows


class VersionDetailView(RecordView):
    template_name = "modelrepo/version_detail.html"

    def get(self, request, product_id, version_id):
        version = selectors.version_get(product=self.product, version_id=version_id)
        data = provenance.version_provenance(user=request.user, product=self.product, version=version)
        context = self.record_context(
            details=details_of(self.product),
            version=version,
            metric_rows=display_rows(version.metrics),
            provenance=data,
            can_edit=self.can_edit,
            can_make_current=not data["is_current"] and rules.version_current_refusal(version) is None,
            reason_form=ReasonForm(),
        )
        return render(request, self.template_name, context)
