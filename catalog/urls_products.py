from django.urls import path

from catalog import views_products as views

app_name = "products"
_PRODUCT = "p/<str:product_id>"
urlpatterns = [
    path("s/<slug:space_slug>/products/", views.DataProductListView.as_view(), name="product_list"),
    path("s/<slug:space_slug>/products/new/", views.DataProductCreateView.as_view(), name="product_create"),
    path(f"{_PRODUCT}/", views.ProductDetailView.as_view(), name="product_detail"),
    path(f"{_PRODUCT}/lineage/add/", views.LineageEdgeAddView.as_view(), name="lineage_add"),
    path(f"{_PRODUCT}/lineage/candidates/", views.LineageCandidatesView.as_view(), name="lineage_candidates"),
    path(f"{_PRODUCT}/lineage/<str:edge_id>/remove/", views.LineageEdgeRemoveView.as_view(), name="lineage_remove"),
]
