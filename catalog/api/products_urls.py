from django.urls import path

from catalog.api import products_views as views

app_name = "catalog-products-api"
urlpatterns = [
    path("catalog/spaces/<slug:space_slug>/products", views.DataProductListView.as_view(), name="product_list"),
]
