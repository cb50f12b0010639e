"""A record's page: its tabs (overview, versions, artifacts, governance, lineage, activity)
and what the apps built on the model repository add to them (``modelrepo.tabs``)."""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from catalog import audit
from catalog.views.collaboration import governance_tab_context
from catalog.views.lineage import lineage_tab_context
from modelrepo import charts, rules, selectors, signing
from modelrepo import tabs as record_tabs
from modelrepo.choices import ArtifactKind, Safety
from modelrepo.forms import ReasonForm
from modelrepo.views.base import (
    DEFAULT_PAGE_SIZE,
    RecordView,
    details_of,
    display_rows,
    display_value,
    draft_versions,
)

HISTORY_ROWS = 25  # newest moves of the current-version pointer shown on the Versions tab

# The format details worth a line of their own on the Artifacts tab; every detail is in the
# collapsible JSON beside them.
FORMAT_SUMMARY = {
    "tensor_count": "Tensors",
    "parameter_count": "Parameters",
    "dtypes": "Data types",
    "architecture": "Architecture",
    "context_length": "Context length",
    "vocab_size": "Vocabulary",
    "array_count": "Arrays",
    "entries": "Entries",
    "error": "Could not parse",
}


class ModelRecordDetailView(RecordView):
    """One record's tabs: the overview, versions, artifacts and activity, and the tabs the
    governance and lineage work fill in."""

    template_name = "modelrepo/model_detail.html"

    def get(self, request, product_id, tab=record_tabs.DEFAULT_TAB):
        record_tab = record_tabs.record_tab(tab)
        if record_tab is None:
            raise Http404("No such tab.")
        product, can_edit = self.product, self.can_edit
        context = self.record_context(details=details_of(product), tab=tab, record_tab=record_tab, can_edit=can_edit)
        if tab == "overview":
            context["summary"] = selectors.repository_summary(product)
        elif tab == "versions":
            context.update(versions_tab(request, product))
        elif tab == "artifacts":
            context.update(artifacts_tab(request, product, can_edit))
        elif tab == "governance":
            context.update(governance_tab_context(request, product))
        elif tab == "lineage":
            context.update(lineage_tab_context(request, product))
        elif tab == "activity":
            page = Paginator(audit.product_events(product), DEFAULT_PAGE_SIZE).get_page(request.GET.get("page"))
            page.object_list = audit.redact(page.object_list, request.user)
            context["page_obj"] = page
        context.update(record_tabs.contributed_context(tab, request, product, can_edit=can_edit))
        return render(request, self.template_name, context)


def format_summary(details) -> list[tuple[str, str]]:
    if not isinstance(details, dict):
        return []
    rows = []
    for key, label in FORMAT_SUMMARY.items():
        value = details.get(key)
        if value in (None, "", []):
            continue
        if isinstance(value, int) and not isinstance(value, bool):
            text = f"{value:,}"
        elif isinstance(value, list):
            text = ", ".join(str(item) for item in value)
        else:
            text = display_value(value)
        rows.append((label, text))
    return rows


def versions_tab(request, product) -> dict:
    current_id = selectors.current_version_id(product)
    versions = selectors.version_list(product=product).select_related("training_run").order_by("-created_at", "-id")
    page = Paginator(versions, DEFAULT_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for version in page.object_list:
        version.metric_rows = display_rows(version.metrics)
        version.can_make_current = version.pk != current_id and rules.version_current_refusal(version) is None
    history = list(selectors.version_history(product=product)[:HISTORY_ROWS + 1])
    last = history[0] if history else None
    can_roll_back = bool(last and last.from_version_id and last.from_version_id != current_id)
    return {
        "page_obj": page,
        "current_version_id": current_id,
        "history": history[:HISTORY_ROWS],
        "history_truncated": len(history) > HISTORY_ROWS,
        "rollback_to": last.from_label if can_roll_back else None,
        "reason_form": ReasonForm(),
        "metric_charts": charts.metric_charts_for(product),
        "signing_key_id": signing.current_key_id(),
    }


def flagged_imports(artifact) -> list[str]:
    """The globals the pickle scan flagged: dangerous ones for an unsafe artifact, unknown ones
    too for a suspicious one."""
    details = artifact.safety_details if isinstance(artifact.safety_details, dict) else {}
    if artifact.safety == Safety.UNSAFE:
        names = details.get("dangerous_imports") or []
    elif artifact.safety == Safety.SUSPICIOUS:
        names = [*(details.get("dangerous_imports") or []), *(details.get("unknown_imports") or [])]
    else:
        return []
    return [str(name) for name in names]


def artifacts_tab(request, product, can_edit: bool) -> dict:
    artifacts = selectors.artifact_list(product=product).select_related("version")
    page = Paginator(artifacts, DEFAULT_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    for artifact in page.object_list:
        artifact.format_rows = format_summary(artifact.format_details)
        artifact.flagged_imports = flagged_imports(artifact)
        # The services refuse these; the buttons are hidden so nobody is offered a refusal.
        artifact.can_make_current = not artifact.is_current and rules.artifact_current_refusal(artifact) is None
        artifact.can_delete = rules.artifact_delete_refusal(artifact) is None
        # An external reference downloads as a redirect only when it is http(s).
        artifact.downloadable = not artifact.external_uri or artifact.external_uri.lower().startswith(("https:", "http:"))
    context = {"page_obj": page}
    if can_edit:
        context["draft_versions"] = list(draft_versions(product))
        context["artifact_kinds"] = ArtifactKind.choices
    return context
