"""The model repository's API routes: records, training runs, the comparison of two versions,
versions, releases, artifacts and downloads.

Ids are matched as any string, so a malformed id answers 404 in the API's error format from
the view. Fixed segments come before the id routes that would otherwise take them:
``model-versions/compare``, ``history`` and ``rollback`` before ``model-versions/<version_id>``,
and ``references`` (and the upload routes, included after these) are kept out of
``model-artifacts/<artifact_id>`` by its converter."""

from django.urls import path, register_converter

from modelrepo.api import artifacts, compare, downloads, records, releases, training, versions


class ArtifactIdConverter:
    """Any single path segment except the fixed ones under model-artifacts/ (``uploads``
    belongs to the upload routes, which are included after these)."""

    regex = r"(?!(?:uploads|references)(?:/|$))[^/]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return str(value)


register_converter(ArtifactIdConverter, "artifact_id")

app_name = "modelrepo-api"

_RECORD = "catalog/products/<str:product_id>"
_RUNS = f"{_RECORD}/training-runs"
_VERSIONS = f"{_RECORD}/model-versions"
_VERSION = f"{_VERSIONS}/<str:version_id>"
_ARTIFACTS = f"{_RECORD}/model-artifacts"
_ARTIFACT = f"{_ARTIFACTS}/<artifact_id:artifact_id>"

urlpatterns = [
    path("catalog/spaces/<slug:space_slug>/model-repository/models", records.SpaceModelRecordListView.as_view(),
         name="space_model_records"),
    path("organizations/<slug:org_slug>/model-repository/models", records.OrganizationModelRecordListView.as_view(),
         name="organization_model_records"),
    path(f"{_RECORD}/model-repository", records.ModelRecordDetailView.as_view(), name="model_record"),
    path(_RUNS, training.TrainingRunListView.as_view(), name="training_runs"),
    path(f"{_RUNS}/<str:run_id>", training.TrainingRunDetailView.as_view(), name="training_run"),
    path(f"{_VERSIONS}/compare", compare.VersionCompareView.as_view(), name="version_compare"),
    path(_VERSIONS, versions.VersionListView.as_view(), name="versions"),
    path(f"{_VERSIONS}/history", versions.VersionHistoryView.as_view(), name="version_history"),
    path(f"{_VERSIONS}/rollback", versions.VersionRollbackView.as_view(), name="version_rollback"),
    path(_VERSION, versions.VersionDetailView.as_view(), name="version"),
    path(f"{_VERSION}/make-current", versions.VersionMakeCurrentView.as_view(), name="version_make_current"),
    path(f"{_VERSION}/release", releases.VersionReleaseView.as_view(), name="version_release"),
    path(f"{_VERSION}/deprecate", releases.VersionDeprecateView.as_view(), name="version_deprecate"),
    path(f"{_VERSION}/yank", releases.VersionYankView.as_view(), name="version_yank"),
    path(f"{_VERSION}/model.sig", releases.VersionSignatureView.as_view(), name="version_signature"),
    path(f"{_VERSION}/download-all", releases.VersionArchiveView.as_view(), name="version_archive"),
    path(f"{_VERSION}/verify", releases.VersionVerifyView.as_view(), name="version_verify"),
    path("signing/public-key.pem", releases.SigningPublicKeyView.as_view(), name="signing_public_key"),
    path(_ARTIFACTS, artifacts.ArtifactListView.as_view(), name="artifacts"),
    path(f"{_ARTIFACTS}/references", artifacts.ArtifactReferenceView.as_view(), name="artifact_references"),
    path(_ARTIFACT, artifacts.ArtifactDetailView.as_view(), name="artifact"),
    path(f"{_ARTIFACT}/make-current", artifacts.ArtifactMakeCurrentView.as_view(), name="artifact_make_current"),
    path(f"{_ARTIFACT}/download", downloads.ArtifactDownloadView.as_view(), name="artifact_download"),
]
