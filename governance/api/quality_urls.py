from django.urls import path

from governance.api import quality_views as views

app_name = "governance-quality-api"
_PRODUCT = "catalog/products/<str:product_id>/quality"
urlpatterns = [
    path(_PRODUCT, views.ProductQualityView.as_view(), name="product_quality"),
    path(f"{_PRODUCT}/run", views.ProductQualityRunView.as_view(), name="product_quality_run"),
    path(f"{_PRODUCT}/checks", views.ProductQualityCheckListView.as_view(), name="product_quality_checks"),
    path("governance/quality-checks/<str:check_id>/results", views.QualityResultListView.as_view(),
         name="quality_results"),
]
