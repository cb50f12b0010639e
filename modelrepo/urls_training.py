"""Pages for training runs and the comparison of two versions. Included before
modelrepo.urls, whose ``models/<uuid>/<tab>/`` would otherwise take ``training-runs`` and
``compare`` as tab names."""

from django.urls import path

from modelrepo.views import compare, training

app_name = "training"

_RUNS = "models/<uuid:product_id>/training-runs/"

urlpatterns = [
    path(_RUNS, training.TrainingRunListView.as_view(), name="run_list"),
    path(f"{_RUNS}<uuid:run_id>/", training.TrainingRunDetailView.as_view(), name="run_detail"),
    path(f"{_RUNS}<uuid:run_id>/edit/", training.TrainingRunEditView.as_view(), name="run_edit"),
    path(f"{_RUNS}<uuid:run_id>/delete/", training.TrainingRunDeleteView.as_view(), name="run_delete"),
    path("models/<uuid:product_id>/compare/", compare.VersionCompareView.as_view(), name="version_compare"),
]
