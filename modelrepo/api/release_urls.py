"""API routes for versions, the current-version pointer, artifacts and downloads.

Ids are matched as any string so a malformed id answers 404 in the API's error format from
the view. Fixed segments (``history``, ``rollback``, ``references``) come before the id routes."""

from django.urls import path, register_converter

from modelrepo.api import release_views as views


class ArtifactIdConverter:
    """Any single path segment except the fixed ones under model-artifacts/ (``uploads``
    belongs to the upload routes, which are included after these)."""

    regex = r"(?!(?:uploads|references)(?:/|$))[^/]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return str(value)


register_converter(ArtifactIdConverter, "artifact_id")

app_name = "modelrepo-release-api"

_VERSIONS = "catalog/products/<str:product_id>/model-versions"
_ARTIFACTS = "catalog/products/<str:product_id>/model-artifacts"

urlpatterns = [
    path(_VERSIONS, views.VersionListView.as_view(), name="versions"),
    path(f"{_VERSIONS}/history", views.VersionHistoryView.as_view(), name="version_history"),
    path(f"{_VERSIONS}/rollback", views.VersionRollbackView.as_view(), name="version_rollback"),
    path(f"{_VERSIONS}/<str:version_id>", views.VersionDetailView.as_view(), name="version"),
    path(f"{_VERSIONS}/<str:version_id>/make-current", views.VersionMakeCurrentView.as_view(),
         name="version_make_current"),
    path(f"{_VERSIONS}/<str:version_id>/release", views.VersionReleaseView.as_view(), name="version_release"),
    path(f"{_VERSIONS}/<str:version_id>/deprecate", views.VersionDeprecateView.as_view(), name="version_deprecate"),
    path(f"{_VERSIONS}/<str:version_id>/yank", views.VersionYankView.as_view(), name="version_yank"),
    path(f"{_VERSIONS}/<str:version_id>/model.sig", views.VersionSignatureView.as_view(), name="version_signature"),
    path(f"{_VERSIONS}/<str:version_id>/download-all", views.VersionArchiveView.as_view(), name="version_archive"),
    path(f"{_VERSIONS}/<str:version_id>/verify", views.VersionVerifyView.as_view(), name="version_verify"),
    path("signing/public-key.pem", views.SigningPublicKeyView.as_view(), name="signing_public_key"),
    path(_ARTIFACTS, views.ArtifactListView.as_view(), name="artifacts"),
    path(f"{_ARTIFACTS}/references", views.ArtifactReferenceView.as_view(), name="artifact_references"),
    path(f"{_ARTIFACTS}/<artifact_id:artifact_id>", views.ArtifactDetailView.as_view(), name="artifact"),
    path(f"{_ARTIFACTS}/<artifact_id:artifact_id>/make-current", views.ArtifactMakeCurrentView.as_view(),
         name="artifact_make_current"),
    path(f"{_ARTIFACTS}/<artifact_id:artifact_id>/download", views.ArtifactDownloadView.as_view(), name="artifact_download"),
]
