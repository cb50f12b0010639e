"""Pages for training runs and the comparison of two versions. Included before
modelrepo.urls, whose ``models/<uuid>/<tab>/`` would otherwise take ``training-runs`` and
``compare`` as tab names."""

from django.urls import path

from modelrepo import views_training as views

app_name = "training"

_RUNS = "models/<uuid:product_id>/training-runs/"

urlpatterns = [
    path(_RUNS, views.TrainingRunListView.as_view(), name="run_list"),
    path(f"{_RUNS}<uuid:run_id>/", views.TrainingRunDetailView.as_view(), name="run_detail"),
    path(f"{_RUNS}<uuid:run_id>/edit/", views.TrainingRunEditView.as_view(), name="run_edit"),
    path(f"{_RUNS}<uuid:run_id>/delete/", views.TrainingRunDeleteView.as_view(), name="run_delete"),
    path("models/<uuid:product_id>/compare/", views.VersionCompareView.as_view(), name="version_compare"),
]
