from django.urls import path

from catalog.api import members_views as views

app_name = "catalog-members-api"
urlpatterns = [
    path("catalog/spaces/<slug:space_slug>/members", views.SpaceMemberListView.as_view(), name="space_members"),
    path("catalog/spaces/<slug:space_slug>/members/<str:username>", views.SpaceMemberDetailView.as_view(),
         name="space_member"),
]
