"""The pages that change a record's artifacts: make one current, delete one, register a file
stored elsewhere. Uploads have their own pages (uploads)."""

from django.conf import settings
from django.shortcuts import render

from common.messages import perform
from modelrepo import artifacts as artifact_services
from modelrepo import selectors
from modelrepo.forms import ArtifactReferenceForm
from modelrepo.views.base import RecordChangeView, RecordFormView, draft_versions
from modelrepo.views.versions import PointerMoveView


class ArtifactMakeCurrentView(PointerMoveView):
    tab = "artifacts"

    def move(self, request, reason, product_id, artifact_id):
        artifact = selectors.artifact_get(product=self.product, artifact_id=artifact_id)
        artifact_services.artifact_make_current(actor=request.user, product=self.product, artifact=artifact, reason=reason)
        return f"{artifact.file_name} is now the current artifact."


class ArtifactDeleteView(RecordChangeView):
    """A confirmation page, then the delete: the row stays as a tombstone for audit."""

    template_name = "modelrepo/artifact_confirm_delete.html"

    def get(self, request, product_id, artifact_id):
        artifact = selectors.artifact_get(product=self.product, artifact_id=artifact_id)
        context = self.record_context(artifact=artifact, retention_days=settings.QARION_ARTIFACT_RETENTION_DAYS)
        return render(request, self.template_name, context)

    def post(self, request, product_id, artifact_id):
        artifact = selectors.artifact_get(product=self.product, artifact_id=artifact_id)
        perform(request, lambda: artifact_services.artifact_delete(
            actor=request.user, product=self.product, artifact=artifact), f"{artifact.file_name} was deleted.")
        return self.tab_redirect("artifacts")


class ArtifactReferenceCreateView(RecordFormView):
    template_name = "modelrepo/artifact_reference_form.html"
    tab = "artifacts"

    def form(self, data=None):
        return ArtifactReferenceForm(data, versions=draft_versions(self.product))

    def save(self, form):
        return artifact_services.artifact_register_reference(
            actor=self.request.user, product=self.product, **form.reference_data())

    def saved_message(self, artifact):
        return f"External file {artifact.file_name} registered."
