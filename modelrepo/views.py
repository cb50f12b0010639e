"""Browser pages of the model repository: the organization and space lists, a record's
tabs, the create and edit forms, and the pages that change versions (create, edit, make
current, roll back) and artifacts (make current, delete, register an external file).
Reads go through the selectors (restricted by the access policy), writes through the
services; what a user may not see answers 404, what they may see but not change 403."""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views import View

from catalog import health

from catalog.views.lineage import lineage_tab_context
from catalog import access, audit
from catalog import selectors as catalog_selectors
from catalog.views.collaboration import governance_tab_context
from modelrepo import rules
from modelrepo import artifacts as artifact_services
from modelrepo import charts, signing
from modelrepo import selectors, services
from modelrepo import tabs as record_tabs
from modelrepo import versions as version_services
from modelrepo.choices import ArtifactKind, Safety, VersionStatus
from modelrepo.filtersets import ModelRecordFilterSet
from modelrepo.forms import (
    ArtifactReferenceForm,
    ModelRecordForm,
    ReasonForm,
    VersionFlagForm,
    VersionForm,
    record_initial,
    version_initial,
)
from modelrepo.models import ModelDetails
from common import errors
from common.messages import refused

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
HISTORY_ROWS = 25  # newest moves of the current-version pointer shown on the Versions tab
# Free-text filters whose field reads one value; repeated parameters (what checkboxes send)
# are joined into the comma-separated form the FilterSet also accepts.
JOINED_FILTERS = ("tag", "space")


def page_size(params) -> int:
    try:
        size = int(params.get("size", DEFAULT_PAGE_SIZE))
    except ValueError:
        return DEFAULT_PAGE_SIZE
    return size if 1 <= size <= MAX_PAGE_SIZE else DEFAULT_PAGE_SIZE


def filter_params(params):
    data = params.copy()
    for key in JOINED_FILTERS:
        values = [value for value in params.getlist(key) if value.strip()]
        if len(values) > 1:
            data.setlist(key, [",".join(values)])
    return data


def filter_error_messages(filterset) -> list[str]:
    fields = filterset.form.fields
    return [
        f"{fields[name].label}: {message}" if name in fields else message
        for name, messages in filterset.errors.items()
        for message in messages
    ]






def visible_record_or_404(user, product_id):
    try:
        return selectors.model_record_get(user=user, product_id=product_id)
    except errors.NotFound:
        raise Http404("No such model record.") from None


def details_of(product):
    try:
        return product.model_details
    except ModelDetails.DoesNotExist:  # a product created outside the model repository
        return None


class ModelRecordListMixin(LoginRequiredMixin):
    template_name = "modelrepo/model_list.html"

    def render_list(self, request, records, **context):
        filterset = ModelRecordFilterSet(filter_params(request.GET), queryset=records, request=request)
        filtered = filterset.qs  # invalid parameters are left out and reported in the panel
        page = Paginator(filtered, page_size(request.GET)).get_page(request.GET.get("page"))
        page.object_list = list(page.object_list)
        selectors.attach_summaries(page.object_list)  # two queries whatever the page size
        context.update(
            filterset=filterset,
            filter_errors=filter_error_messages(filterset),
            page_obj=page,
            records=page.object_list,
            summary=selectors.summary_counts(filtered),
            page_size=page_size(request.GET),
            filtered=any(k not in ("page", "size", "ordering") for k in request.GET),
        )
        return render(request, self.template_name, context)


class OrganizationModelListView(ModelRecordListMixin, View):
    """Read-only discovery across every space of the organization the user can view."""

    def get(self, request, org_slug):
        organization = catalog_selectors.visible_organization(request.user, org_slug)
        records = selectors.model_record_list(user=request.user, organization=organization)
        spaces = access.visible_spaces(request.user, organization=organization)
        return self.render_list(
            request, records, scope="organization", organization=organization,
            space_choices=[(space.slug, space.name) for space in spaces],
            can_audit=access.can(request.user, access.MANAGE, organization),
        )


class SpaceModelListView(ModelRecordListMixin, View):
    def get(self, request, space_slug):
        space = catalog_selectors.visible_space(request.user, space_slug)
        records = selectors.model_record_list(user=request.user, space=space)
        return self.render_list(
            request, records, scope="space", space=space, organization=space.organization,
            can_create=access.can(request.user, access.CREATE_PRODUCT, space),
            can_audit=access.can(request.user, access.MANAGE, space),
            quality_failures=health.space_failures(space),
        )


class ModelRecordCreateView(LoginRequiredMixin, View):
    template_name = "modelrepo/model_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.space = catalog_selectors.visible_space(request.user, kwargs["space_slug"])
        if not access.can(request.user, access.CREATE_PRODUCT, self.space):
            raise PermissionDenied(
                f"You can view space {self.space.name} but not create records in it. "
                "Ask a space admin for editor access."
            )
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, space_slug):
        return self.render_form(request, ModelRecordForm())

    def post(self, request, space_slug):
        form = ModelRecordForm(request.POST)
        if not form.is_valid():
            return self.render_form(request, form)
        data, tags = form.record_data()
        try:
            product = services.model_record_create(actor=request.user, space=self.space, data=data, tags=tags)
        except errors.PermissionDenied as exc:
            raise PermissionDenied(exc.message) from None
        except errors.ValidationFailed as exc:
            form.add_service_errors(exc)
            return self.render_form(request, form)
        messages.success(request, f"Model record “{product.name}” created.")
        return redirect("modelrepo:model_detail", product_id=product.pk)

    def render_form(self, request, form):
        context = {"form": form, "space": self.space, "organization": self.space.organization, "creating": True}
        return render(request, self.template_name, context)


class ModelRecordEditView(LoginRequiredMixin, View):
    template_name = "modelrepo/model_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.product = visible_record_or_404(request.user, kwargs["product_id"])
        if not access.can(request.user, access.EDIT, self.product):
            raise PermissionDenied(
                f"You can view “{self.product.name}” but not change it. "
                "Ask a space admin or the record's owner for edit access."
            )
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, product_id):
        return self.render_form(request, self.form())

    def post(self, request, product_id):
        form = self.form(request.POST)
        if not form.is_valid():
            return self.render_form(request, form)
        data, tags = form.record_data(only_changed=True)
        try:
            product = services.model_record_update(actor=request.user, product=self.product, data=data, tags=tags)
        except errors.PermissionDenied as exc:
            raise PermissionDenied(exc.message) from None
        except errors.ValidationFailed as exc:
            form.add_service_errors(exc)
            return self.render_form(request, form)
        messages.success(request, f"Model record “{product.name}” saved.")
        return redirect("modelrepo:model_detail", product_id=product.pk)

    def form(self, data=None):
        return ModelRecordForm(data, initial=record_initial(self.product, details_of(self.product)), editing=True)

    def render_form(self, request, form):
        space = self.product.space
        context = {"form": form, "product": self.product, "space": space, "organization": space.organization}
        return render(request, self.template_name, context)


class ModelRecordDetailView(LoginRequiredMixin, View):
    """One record's tabs: the overview, versions, artifacts and activity, and the tabs the
    governance and lineage work fill in."""

    template_name = "modelrepo/model_detail.html"

    def get(self, request, product_id, tab=record_tabs.DEFAULT_TAB):
        record_tab = record_tabs.record_tab(tab)
        if record_tab is None:
            raise Http404("No such tab.")
        product = visible_record_or_404(request.user, product_id)
        can_edit = access.can(request.user, access.EDIT, product)
        context = {
            "product": product,
            "details": details_of(product),
            "space": product.space,
            "organization": product.space.organization,
            "tab": tab,
            "record_tab": record_tab,
            "can_edit": can_edit,
        }
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
            events = audit.product_events(product)
            context["page_obj"] = Paginator(events, DEFAULT_PAGE_SIZE).get_page(request.GET.get("page"))
        context.update(record_tabs.contributed_context(tab, request, product, can_edit=can_edit))
        return render(request, self.template_name, context)


def display_value(value) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def display_rows(mapping) -> list[tuple[str, str]]:
    """``(name, text)`` rows of a JSON object (metrics, format details), in name order."""
    if not isinstance(mapping, dict):
        return []
    return [(str(name), display_value(value)) for name, value in sorted(mapping.items())]


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
        draft_versions = selectors.version_list(product=product).exclude(status=VersionStatus.RELEASED)
        context["draft_versions"] = list(draft_versions.order_by("-created_at", "-id"))
        context["artifact_kinds"] = ArtifactKind.choices
    return context


class RecordActionMixin(LoginRequiredMixin):
    """Pages that change a record's versions or artifacts: a record the user cannot view is
    404, one they can view but not change is 403."""

    denied_message = "You can view “{name}” but not change it. Ask a space admin or the record's owner for edit access."

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.product = visible_record_or_404(request.user, kwargs["product_id"])
        if not access.can(request.user, access.EDIT, self.product):
            raise PermissionDenied(self.denied_message.format(name=self.product.name))
        return super().dispatch(request, *args, **kwargs)

    def record_context(self, **context):
        space = self.product.space
        return {"product": self.product, "space": space, "organization": space.organization, **context}

    def tab_redirect(self, tab):
        return redirect("modelrepo:model_tab", product_id=self.product.pk, tab=tab)

    def version_or_404(self, version_id):
        try:
            return selectors.version_get(product=self.product, version_id=version_id)
        except errors.NotFound:
            raise Http404("No such version.") from None

    def artifact_or_404(self, artifact_id):
        try:
            return selectors.artifact_get(product=self.product, artifact_id=artifact_id)
        except errors.NotFound:
            raise Http404("No such artifact.") from None


class VersionFormMixin(RecordActionMixin):
    template_name = "modelrepo/version_form.html"

    def form(self, data=None, **kwargs):
        return VersionForm(data, training_runs=self.product.training_runs.order_by("name"), **kwargs)

    def render_form(self, request, form, status=200, **context):
        return render(request, self.template_name, self.record_context(form=form, **context), status=status)


class VersionCreateView(VersionFormMixin, View):
    def get(self, request, product_id):
        return self.render_form(request, self.form(), creating=True)

    def post(self, request, product_id):
        form = self.form(request.POST)
        if not form.is_valid():
            return self.render_form(request, form, creating=True)
        try:
            version = version_services.version_create(actor=request.user, product=self.product, data=form.version_data())
        except errors.PermissionDenied as exc:
            raise PermissionDenied(exc.message) from None
        except errors.ValidationFailed as exc:
            form.add_service_errors(exc)
            return self.render_form(request, form, creating=True)
        messages.success(request, f"Version {version.label} created as a draft.")
        return self.tab_redirect("versions")


class VersionEditView(VersionFormMixin, View):
    def get(self, request, product_id, version_id):
        version = self.version_or_404(version_id)
        return self.render_form(request, self.form(initial=version_initial(version)), version=version)

    def post(self, request, product_id, version_id):
        version = self.version_or_404(version_id)
        form = self.form(request.POST, initial=version_initial(version))
        if not form.is_valid():
            return self.render_form(request, form, version=version)
        try:
            version = version_services.version_update(
                actor=request.user, product=self.product, version=version, data=form.version_data(only_changed=True)
            )
        except errors.PermissionDenied as exc:
            raise PermissionDenied(exc.message) from None
        except errors.ValidationFailed as exc:
            form.add_service_errors(exc)
            return self.render_form(request, form, version=version)
        except errors.Conflict as exc:
            form.add_error(None, exc.message)
            return self.render_form(request, form, status=409, version=version)
        messages.success(request, f"Version {version.label} saved.")
        return self.tab_redirect("versions")


class PointerActionView(RecordActionMixin, View):
    """A POST that moves a pointer or removes an artifact, then goes back to the tab: a
    refused action (a domain conflict) is shown there as an error message."""

    tab = "versions"

    def run(self, request, reason: str, **kwargs) -> str:
        raise NotImplementedError

    def post(self, request, **kwargs):
        form = ReasonForm(request.POST)
        if not form.is_valid():
            messages.error(request, "The reason is at most 2,000 characters; nothing was changed.")
            return self.tab_redirect(self.tab)
        try:
            messages.success(request, self.run(request, form.cleaned_data["reason"], **kwargs))
        except errors.PermissionDenied as exc:
            raise PermissionDenied(exc.message) from None
        except errors.NotFound:
            raise Http404("No such version or artifact.") from None
        except (errors.Conflict, errors.ValidationFailed) as exc:
            refused(request, exc)
        return self.tab_redirect(self.tab)


class VersionMakeCurrentView(PointerActionView):
    def run(self, request, reason, product_id, version_id):
        version = self.version_or_404(version_id)
        version_services.version_make_current(actor=request.user, product=self.product, version=version, reason=reason)
        return f"Version {version.label} is now the current version."


class VersionRollbackView(PointerActionView):
    def run(self, request, reason, product_id):
        version = version_services.version_rollback(actor=request.user, product=self.product, reason=reason)
        return f"Rolled back: version {version.label} is the current version again."


class VersionConfirmView(RecordActionMixin, View):
    """A confirmation page for one version, then the service call; a refusal is shown on the
    same page with the service's message, and nothing changes."""

    template_name = ""
    form_class = None

    def act(self, request, version, form):
        raise NotImplementedError

    def get(self, request, product_id, version_id):
        version = self.version_or_404(version_id)
        return self.render_page(request, version, self.form_class() if self.form_class else None)

    def post(self, request, product_id, version_id):
        version = self.version_or_404(version_id)
        form = self.form_class(request.POST) if self.form_class else None
        if form is not None and not form.is_valid():
            return self.render_page(request, version, form, status=400)
        try:
            message = self.act(request, version, form)
        except errors.PermissionDenied as exc:
            raise PermissionDenied(exc.message) from None
        except errors.NotFound:
            raise Http404("No such version.") from None
        except errors.ValidationFailed as exc:
            if form is None:
                return self.render_page(request, version, None, status=exc.status, error=exc.message)
            form.add_service_errors(exc)
            return self.render_page(request, version, form, status=exc.status)
        except errors.Conflict as exc:
            return self.render_page(request, version, form, status=exc.status, error=exc.message)
        messages.success(request, message)
        return self.tab_redirect("versions")

    def render_page(self, request, version, form, status=200, **context):
        context = self.record_context(version=version, form=form, **context)
        return render(request, self.template_name, context, status=status)


class VersionReleaseView(VersionConfirmView):
    """Says before the click why a version cannot be released (no files, unsafe files), by the
    same rule the release service applies."""

    template_name = "modelrepo/version_release.html"

    def render_page(self, request, version, form, status=200, **context):
        files = [] if version.is_released else list(version_services.signed_artifacts(version))
        context.setdefault("refusal", rules.version_release_refusal(version, files))
        return super().render_page(request, version, form, status, **context)

    def act(self, request, version, form):
        version = version_services.version_release(actor=request.user, product=self.product, version=version)
        return f"Version {version.label} is released and signed; its files can no longer change."


class VersionDeprecateView(VersionConfirmView):
    template_name = "modelrepo/version_flag.html"
    form_class = VersionFlagForm

    def act(self, request, version, form):
        version = version_services.version_deprecate(
            actor=request.user, product=self.product, version=version, reason=form.cleaned_data["reason"]
        )
        return f"Version {version.label} is marked deprecated."

    def render_page(self, request, version, form, status=200, **context):
        return super().render_page(request, version, form, status, action="deprecate", **context)


class VersionYankView(VersionConfirmView):
    template_name = "modelrepo/version_flag.html"
    form_class = VersionFlagForm

    def act(self, request, version, form):
        version = version_services.version_yank(
            actor=request.user, product=self.product, version=version, reason=form.cleaned_data["reason"]
        )
        return f"Version {version.label} is yanked; it stays downloadable but can no longer be made current."

    def render_page(self, request, version, form, status=200, **context):
        return super().render_page(request, version, form, status, action="yank", **context)


class VersionVerifyView(LoginRequiredMixin, View):
    """Re-hash a released version's stored files against its signature and show the report.
    Anyone who can view the record may verify (it changes nothing); it reads every byte, so it
    is a POST rather than a link a crawler could follow."""

    template_name = "modelrepo/version_verify.html"
    http_method_names = ["post"]

    def post(self, request, product_id, version_id):
        product = visible_record_or_404(request.user, product_id)
        try:
            version = selectors.version_get(product=product, version_id=version_id)
        except errors.NotFound:
            raise Http404("No such version.") from None
        try:
            report = version_services.version_verify(product=product, version=version)
        except errors.Conflict as exc:
            messages.error(request, exc.message)
            return redirect("modelrepo:model_tab", product_id=product.pk, tab="versions")
        space = product.space
        context = {"product": product, "space": space, "organization": space.organization, "version": version,
                   "report": report}
        return render(request, self.template_name, context)


class ArtifactMakeCurrentView(PointerActionView):
    tab = "artifacts"

    def run(self, request, reason, product_id, artifact_id):
        artifact = self.artifact_or_404(artifact_id)
        artifact_services.artifact_make_current(actor=request.user, product=self.product, artifact=artifact, reason=reason)
        return f"{artifact.file_name} is now the current artifact."


class ArtifactDeleteView(RecordActionMixin, View):
    """A confirmation page, then the delete: the row stays as a tombstone for audit."""

    template_name = "modelrepo/artifact_confirm_delete.html"

    def get(self, request, product_id, artifact_id):
        artifact = self.artifact_or_404(artifact_id)
        context = self.record_context(artifact=artifact, retention_days=settings.QARION_ARTIFACT_RETENTION_DAYS)
        return render(request, self.template_name, context)

    def post(self, request, product_id, artifact_id):
        artifact = self.artifact_or_404(artifact_id)
        try:
            artifact_services.artifact_delete(actor=request.user, product=self.product, artifact=artifact)
        except errors.PermissionDenied as exc:
            raise PermissionDenied(exc.message) from None
        except errors.NotFound:
            raise Http404("No such artifact.") from None
        except errors.Conflict as exc:
            messages.error(request, exc.message)
            return self.tab_redirect("artifacts")
        messages.success(request, f"{artifact.file_name} was deleted.")
        return self.tab_redirect("artifacts")


class ArtifactReferenceCreateView(RecordActionMixin, View):
    template_name = "modelrepo/artifact_reference_form.html"

    def form(self, data=None):
        drafts = selectors.version_list(product=self.product).exclude(status=VersionStatus.RELEASED)
        return ArtifactReferenceForm(data, versions=drafts.order_by("-created_at", "-id"))

    def get(self, request, product_id):
        return self.render_form(request, self.form())

    def post(self, request, product_id):
        form = self.form(request.POST)
        if not form.is_valid():
            return self.render_form(request, form)
        try:
            artifact = artifact_services.artifact_register_reference(
                actor=request.user, product=self.product, **form.reference_data()
            )
        except errors.PermissionDenied as exc:
            raise PermissionDenied(exc.message) from None
        except errors.ValidationFailed as exc:
            form.add_service_errors(exc)
            return self.render_form(request, form)
        except errors.Conflict as exc:
            form.add_error(None, exc.message)
            return self.render_form(request, form, status=409)
        messages.success(request, f"External file {artifact.file_name} registered.")
        return self.tab_redirect("artifacts")

    def render_form(self, request, form, status=200):
        return render(request, self.template_name, self.record_context(form=form), status=status)
