from django.urls import path

from governance import views, views_provenance

app_name = "governance"
urlpatterns = [
    path("models/<uuid:product_id>/versions/<uuid:version_id>/", views_provenance.VersionDetailView.as_view(),
         name="version_detail"),
    path("s/<slug:space_slug>/audit/", views.space_audit, name="space_audit"),
    path("o/<slug:org_slug>/audit/", views.organization_audit, name="organization_audit"),
]
