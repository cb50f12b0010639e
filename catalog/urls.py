from django.urls import path

from catalog import views

app_name = "catalog"
urlpatterns = [
    path("o/<slug:org_slug>/spaces/", views.space_directory, name="space_directory"),
    path("s/<slug:space_slug>/members/", views.space_members, name="space_members"),
    path("settings/tokens/", views.token_list, name="token_list"),
    path("settings/tokens/<uuid:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]
