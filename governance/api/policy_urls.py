from django.urls import path

from governance.api import policy_views as views

app_name = "governance-policy-api"
urlpatterns = [
    path("catalog/spaces/<slug:space_slug>/change-policy", views.SpaceChangePolicyView.as_view(),
         name="space_change_policy"),
]
