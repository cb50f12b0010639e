"""The pages that change a record's versions: create and edit, make current and roll back,
release, deprecate and yank; and the verification of a released version's files."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect, render
from django.views import View

from common.messages import attempt, perform, refused
from modelrepo import rules, selectors
from modelrepo import versions as version_services
from modelrepo.forms import ReasonForm, VersionFlagForm, VersionForm, version_initial
from modelrepo.views.base import RecordChangeView, RecordFormView, record_context


class VersionFormView(RecordFormView):
    template_name = "modelrepo/version_form.html"

    def form(self, data=None, **kwargs):
        return VersionForm(data, training_runs=self.product.training_runs.order_by("name"), **kwargs)


class VersionCreateView(VersionFormView):
    extra_context = {"creating": True}

    def save(self, form):
        return version_services.version_create(actor=self.request.user, product=self.product, data=form.version_data())

    def saved_message(self, version):
        return f"Version {version.label} created as a draft."


class VersionEditView(VersionFormView):
    def load(self, version_id, **kwargs):
        self.version = selectors.version_get(product=self.product, version_id=version_id)
        self.extra_context = {"version": self.version}

    def form(self, data=None):
        return super().form(data, initial=version_initial(self.version))

    def save(self, form):
        return version_services.version_update(actor=self.request.user, product=self.product, version=self.version,
                                               data=form.version_data(only_changed=True))

    def saved_message(self, version):
        return f"Version {version.label} saved."


class PointerMoveView(RecordChangeView):
    """A POST that moves the current version or artifact, with an optional reason, then goes
    back to the tab, where a refusal is shown as an error message."""

    tab = "versions"

    def move(self, request, reason: str, **kwargs) -> str:
        """Move the pointer; returns what to tell the person."""
        raise NotImplementedError

    def post(self, request, **kwargs):
        form = ReasonForm(request.POST)
        if not form.is_valid():
            messages.error(request, "The reason is at most 2,000 characters; nothing was changed.")
            return self.tab_redirect(self.tab)
        reason = form.cleaned_data["reason"]
        perform(request, lambda: self.move(request, reason, **kwargs), success=lambda told: told)
        return self.tab_redirect(self.tab)


class VersionMakeCurrentView(PointerMoveView):
    def move(self, request, reason, product_id, version_id):
        version = selectors.version_get(product=self.product, version_id=version_id)
        version_services.version_make_current(actor=request.user, product=self.product, version=version, reason=reason)
        return f"Version {version.label} is now the current version."


class VersionRollbackView(PointerMoveView):
    def move(self, request, reason, product_id):
        version = version_services.version_rollback(actor=request.user, product=self.product, reason=reason)
        return f"Rolled back: version {version.label} is the current version again."


class VersionConfirmView(RecordChangeView):
    """A confirmation page for one version, then the service call; a refusal is shown on the
    same page with the service's message, and nothing changes."""

    template_name = ""
    form_class = None

    def act(self, request, version, form) -> str:
        """Change the version; returns what to tell the person."""
        raise NotImplementedError

    def get(self, request, product_id, version_id):
        version = selectors.version_get(product=self.product, version_id=version_id)
        return self.render_page(request, version, self.form_class() if self.form_class else None)

    def post(self, request, product_id, version_id):
        version = selectors.version_get(product=self.product, version_id=version_id)
        form = self.form_class(request.POST) if self.form_class else None
        if form is not None and not form.is_valid():
            return self.render_page(request, version, form, status=400)
        told, refusal = attempt(lambda: self.act(request, version, form))
        if refusal:
            return self.render_page(request, version, form, status=refusal.status, error=refusal.message)
        messages.success(request, told)
        return self.tab_redirect("versions")

    def render_page(self, request, version, form, status=200, **context):
        context = self.record_context(version=version, form=form, **(self.extra_context or {}), **context)
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


class VersionFlagView(VersionConfirmView):
    """Flag a released version (``flag``, a version service) with the reason the form asks for."""

    template_name = "modelrepo/version_flag.html"
    form_class = VersionFlagForm
    flag = None
    told = ""

    def act(self, request, version, form):
        version = self.flag(actor=request.user, product=self.product, version=version, reason=form.cleaned_data["reason"])
        return self.told.format(label=version.label)


class VersionDeprecateView(VersionFlagView):
    extra_context = {"action": "deprecate"}
    flag = staticmethod(version_services.version_deprecate)
    told = "Version {label} is marked deprecated."


class VersionYankView(VersionFlagView):
    extra_context = {"action": "yank"}
    flag = staticmethod(version_services.version_yank)
    told = "Version {label} is yanked; it stays downloadable but can no longer be made current."


class VersionVerifyView(LoginRequiredMixin, View):
    """Re-hash a released version's stored files against its signature and show the report.
    Anyone who can view the record may verify (it changes nothing); it reads every byte, so it
    is a POST rather than a link a crawler could follow."""

    template_name = "modelrepo/version_verify.html"
    http_method_names = ["post"]

    def post(self, request, product_id, version_id):
        product = selectors.model_record_get(user=request.user, product_id=product_id)
        version = selectors.version_get(product=product, version_id=version_id)
        report, refusal = attempt(lambda: version_services.version_verify(product=product, version=version))
        if refusal:
            refused(request, refusal)
            return redirect("modelrepo:model_tab", product_id=product.pk, tab="versions")
        return render(request, self.template_name, record_context(product, version=version, report=report))
