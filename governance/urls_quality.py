from django.urls import path

from governance import views_quality as views

app_name = "governance_quality"
urlpatterns = [
    path("models/<uuid:product_id>/quality/run/", views.quality_run, name="quality_run"),
    path("models/<uuid:product_id>/quality/checks/new/", views.quality_check_create, name="quality_check_create"),
    path("quality-checks/<uuid:check_id>/", views.quality_check_detail, name="quality_check_detail"),
]
