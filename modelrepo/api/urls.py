from django.urls import path

from modelrepo.api import views

app_name = "modelrepo-api"
urlpatterns = [
    path(
        "catalog/spaces/<slug:space_slug>/model-repository/models",
        views.SpaceModelRecordListView.as_view(),
        name="space_model_records",
    ),
    path(
        "organizations/<slug:org_slug>/model-repository/models",
        views.OrganizationModelRecordListView.as_view(),
        name="organization_model_records",
    ),
    # Any string, so a malformed id answers 404 in the API's error format from the view.
    path("catalog/products/<str:product_id>/model-repository", views.ModelRecordDetailView.as_view(), name="model_record"),
]
