from django.urls import include, path

urlpatterns = [
    path("", include("catalog.api.urls")),
    path("", include("modelrepo.api.urls")),
    path("", include("uploads.api.urls")),
    path("", include("governance.api.urls")),
    path("", include("governance.api.requests_urls")),
    path("", include("governance.api.access_urls")),
    path("", include("governance.api.quality_urls")),
    path("", include("governance.api.policy_urls")),
]
