from django.urls import path

from catalog.views import lineage, products

app_name = "products"
_PRODUCT = "p/<str:product_id>"
urlpatterns = [
    path("s/<slug:space_slug>/products/", products.DataProductListView.as_view(), name="product_list"),
    path("s/<slug:space_slug>/products/new/", products.DataProductCreateView.as_view(), name="product_create"),
    path(f"{_PRODUCT}/", products.ProductDetailView.as_view(), name="product_detail"),
    path(f"{_PRODUCT}/lineage/add/", lineage.LineageEdgeAddView.as_view(), name="lineage_add"),
    path(f"{_PRODUCT}/lineage/candidates/", lineage.LineageCandidatesView.as_view(), name="lineage_candidates"),
    path(f"{_PRODUCT}/lineage/<str:edge_id>/remove/", lineage.LineageEdgeRemoveView.as_view(), name="lineage_remove"),
]
