from django.urls import path

from governance.views import audit, provenance

app_name = "governance"
urlpatterns = [
    path("models/<uuid:product_id>/versions/<uuid:version_id>/", provenance.VersionDetailView.as_view(),
         name="version_detail"),
    path("s/<slug:space_slug>/audit/", audit.space_audit, name="space_audit"),
    path("o/<slug:org_slug>/audit/", audit.organization_audit, name="organization_audit"),
]
