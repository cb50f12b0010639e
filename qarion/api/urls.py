from django.urls import include, path

urlpatterns = [
    path("", include("catalog.api.urls")),
    path("", include("modelrepo.api.urls")),
]
