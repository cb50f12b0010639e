from django.urls import path

from modelrepo import views

app_name = "modelrepo"
_RECORD = "models/<uuid:product_id>"
urlpatterns = [
    path("o/<slug:org_slug>/models/", views.OrganizationModelListView.as_view(), name="org_model_list"),
    path("s/<slug:space_slug>/models/", views.SpaceModelListView.as_view(), name="space_model_list"),
    path("s/<slug:space_slug>/models/new/", views.ModelRecordCreateView.as_view(), name="model_create"),
    path(f"{_RECORD}/", views.ModelRecordDetailView.as_view(), name="model_detail"),
    path(f"{_RECORD}/edit/", views.ModelRecordEditView.as_view(), name="model_edit"),
    path(f"{_RECORD}/versions/new/", views.VersionCreateView.as_view(), name="version_create"),
    path(f"{_RECORD}/versions/rollback/", views.VersionRollbackView.as_view(), name="version_rollback"),
    path(f"{_RECORD}/versions/<uuid:version_id>/edit/", views.VersionEditView.as_view(), name="version_edit"),
    path(f"{_RECORD}/versions/<uuid:version_id>/make-current/", views.VersionMakeCurrentView.as_view(),
         name="version_make_current"),
    path(f"{_RECORD}/versions/<uuid:version_id>/release/", views.VersionReleaseView.as_view(), name="version_release"),
    path(f"{_RECORD}/versions/<uuid:version_id>/deprecate/", views.VersionDeprecateView.as_view(),
         name="version_deprecate"),
    path(f"{_RECORD}/versions/<uuid:version_id>/yank/", views.VersionYankView.as_view(), name="version_yank"),
    path(f"{_RECORD}/versions/<uuid:version_id>/verify/", views.VersionVerifyView.as_view(), name="version_verify"),
    path(f"{_RECORD}/artifacts/register/", views.ArtifactReferenceCreateView.as_view(), name="artifact_register"),
    path(f"{_RECORD}/artifacts/<uuid:artifact_id>/make-current/", views.ArtifactMakeCurrentView.as_view(),
         name="artifact_make_current"),
    path(f"{_RECORD}/artifacts/<uuid:artifact_id>/delete/", views.ArtifactDeleteView.as_view(), name="artifact_delete"),
    path(f"{_RECORD}/<slug:tab>/", views.ModelRecordDetailView.as_view(), name="model_tab"),
]
