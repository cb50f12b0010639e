from django.urls import path

from governance.views import quality

app_name = "governance_quality"
urlpatterns = [
    path("models/<uuid:product_id>/quality/run/", quality.quality_run, name="quality_run"),
    path("models/<uuid:product_id>/quality/checks/new/", quality.quality_check_create, name="quality_check_create"),
    path("quality-checks/<uuid:check_id>/", quality.quality_check_detail, name="quality_check_detail"),
]
