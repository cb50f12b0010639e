from django.urls import path

from governance.api import views
from governance.api.provenance_views import VersionProvenanceView

app_name = "governance-api"
urlpatterns = [
    path("catalog/products/<str:product_id>/model-versions/<str:version_id>/provenance", VersionProvenanceView.as_view(),
         name="version_provenance"),
    path("audit/events", views.AuditEventListView.as_view(), name="audit_events"),
    path("catalog/products/<str:product_id>/roles", views.ProductRoleListView.as_view(), name="product_roles"),
    path("catalog/products/<str:product_id>/roles/<int:role_id>", views.ProductRoleDetailView.as_view(),
         name="product_role"),
]
