from django.urls import path

from catalog.api import lineage_views as views

app_name = "catalog-lineage-api"
_PRODUCT = "catalog/products/<str:product_id>"
urlpatterns = [
    path(f"{_PRODUCT}/lineage", views.LineageView.as_view(), name="lineage"),
    path(f"{_PRODUCT}/lineage/<str:edge_id>", views.LineageEdgeView.as_view(), name="edge"),
]
