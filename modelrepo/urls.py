from django.urls import path

from common.urls import verb_routes
from modelrepo.views import artifacts, compare, records, tabs, training, versions

app_name = "modelrepo"
_RECORD = "models/<uuid:product_id>"
_RUNS = "models/<uuid:product_id>/training-runs/"
# Training runs and comparison come first: the record's ``<tab>/`` pattern at the end would
# otherwise take ``training-runs`` and ``compare`` as tab names.
urlpatterns = [
    path(_RUNS, training.TrainingRunListView.as_view(), name="run_list"),
    path(f"{_RUNS}<uuid:run_id>/", training.TrainingRunDetailView.as_view(), name="run_detail"),
    *verb_routes(f"{_RUNS}<uuid:run_id>", "run", {"edit": training.TrainingRunEditView.as_view(),
                                                  "delete": training.TrainingRunDeleteView.as_view()}),
    path("models/<uuid:product_id>/compare/", compare.VersionCompareView.as_view(), name="version_compare"),
    path("o/<slug:org_slug>/models/", records.OrganizationModelListView.as_view(), name="org_model_list"),
    path("s/<slug:space_slug>/models/", records.SpaceModelListView.as_view(), name="space_model_list"),
    path("s/<slug:space_slug>/models/new/", records.ModelRecordCreateView.as_view(), name="model_create"),
    path(f"{_RECORD}/", tabs.ModelRecordDetailView.as_view(), name="model_detail"),
    path(f"{_RECORD}/edit/", records.ModelRecordEditView.as_view(), name="model_edit"),
    path(f"{_RECORD}/versions/new/", versions.VersionCreateView.as_view(), name="version_create"),
    path(f"{_RECORD}/versions/rollback/", versions.VersionRollbackView.as_view(), name="version_rollback"),
    *verb_routes(f"{_RECORD}/versions/<uuid:version_id>", "version", {
        "edit": versions.VersionEditView.as_view(), "make-current": versions.VersionMakeCurrentView.as_view(),
        "release": versions.VersionReleaseView.as_view(), "deprecate": versions.VersionDeprecateView.as_view(),
        "yank": versions.VersionYankView.as_view(), "verify": versions.VersionVerifyView.as_view()}),
    path(f"{_RECORD}/artifacts/register/", artifacts.ArtifactReferenceCreateView.as_view(), name="artifact_register"),
    path(f"{_RECORD}/artifacts/<uuid:artifact_id>/make-current/", artifacts.ArtifactMakeCurrentView.as_view(),
         name="artifact_make_current"),
    path(f"{_RECORD}/artifacts/<uuid:artifact_id>/delete/", artifacts.ArtifactDeleteView.as_view(), name="artifact_delete"),
    path(f"{_RECORD}/<slug:tab>/", tabs.ModelRecordDetailView.as_view(), name="model_tab"),
]
