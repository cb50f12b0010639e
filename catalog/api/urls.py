from django.urls import path

from catalog.api import views

app_name = "catalog-api"
urlpatterns = [
    path("organizations/<slug:org_slug>/spaces", views.OrganizationSpaceListView.as_view(), name="space_directory"),
    path("catalog/spaces/<slug:space_slug>", views.SpaceDetailView.as_view(), name="space_detail"),
    path("users/me/tokens", views.ApiTokenListView.as_view(), name="token_list"),
    path("users/me/tokens/<str:token_id>", views.ApiTokenDetailView.as_view(), name="token_detail"),
]
