from django.urls import path

from modelrepo import views

app_name = "modelrepo"
urlpatterns = [
    path("o/<slug:org_slug>/models/", views.OrganizationModelListView.as_view(), name="org_model_list"),
    path("s/<slug:space_slug>/models/", views.SpaceModelListView.as_view(), name="space_model_list"),
    path("s/<slug:space_slug>/models/new/", views.ModelRecordCreateView.as_view(), name="model_create"),
    path("models/<uuid:product_id>/", views.ModelRecordDetailView.as_view(), name="model_detail"),
    path("models/<uuid:product_id>/edit/", views.ModelRecordEditView.as_view(), name="model_edit"),
    path("models/<uuid:product_id>/<slug:tab>/", views.ModelRecordDetailView.as_view(), name="model_tab"),
]
