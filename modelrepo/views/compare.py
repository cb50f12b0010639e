"""The comparison of two versions of a record: their fields, metrics, training runs and files
side by side (modelrepo.compare)."""

from django.shortcuts import render

from modelrepo import compare, selectors
from modelrepo.forms import CompareForm
from modelrepo.views.base import RecordView


class VersionCompareView(RecordView):
    template_name = "modelrepo/compare.html"

    def get(self, request, product_id):
        versions = list(selectors.version_list(product=self.product).select_related("training_run"))
        current_id = selectors.current_version_id(self.product)
        context = self.record_context(versions=versions, comparison=None)
        if "a" in request.GET or "b" in request.GET:
            form = CompareForm(request.GET, versions=versions, current_id=current_id)
            if form.is_valid():
                a, b = compare.versions_to_compare(product=self.product, a=form.cleaned_data["a"],
                                                   b=form.cleaned_data["b"])
                context["comparison"] = compare.version_comparison(product=self.product, a=a, b=b)
        else:
            a, b = compare.default_pair(versions, current_id)
            initial = {"a": str(a.pk), "b": str(b.pk)} if a is not None else {}
            form = CompareForm(initial=initial, versions=versions, current_id=current_id)
            if a is not None:
                context["comparison"] = compare.version_comparison(product=self.product, a=a, b=b)
        context["form"] = form
        return render(request, self.template_name, context)
