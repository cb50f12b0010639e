"""API routes for training runs and the comparison of two versions.

Ids are matched as any string so a malformed id answers 404 in the API's error format from
the view. ``model-versions/compare`` must be included before the version routes of
release_urls, whose ``model-versions/<version_id>`` would otherwise take it."""

from django.urls import path

from modelrepo.api import training_views as views

app_name = "training-api"

_RUNS = "catalog/products/<str:product_id>/training-runs"

urlpatterns = [
    path(_RUNS, views.TrainingRunListView.as_view(), name="training_runs"),
    path(f"{_RUNS}/<str:run_id>", views.TrainingRunDetailView.as_view(), name="training_run"),
    path("catalog/products/<str:product_id>/model-versions/compare", views.VersionCompareView.as_view(),
         name="version_compare"),
]
