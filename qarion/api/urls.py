from django.urls import include, path

# One URL module per app, each its own namespace: catalog-api, modelrepo-api, uploads-api, governance-api.
urlpatterns = [
    path("", include("catalog.api.urls")),
    path("", include("modelrepo.api.urls")),
    path("", include("uploads.api.urls")),
    path("", include("governance.api.urls")),
]
