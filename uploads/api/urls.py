from django.urls import path

from uploads.api import views

app_name = "uploads-api"

_base = "catalog/products/<str:product_id>/model-artifacts/uploads"
urlpatterns = [
    path(_base, views.UploadSessionListView.as_view(), name="session-list"),
    path(f"{_base}/<str:upload_id>", views.UploadSessionDetailView.as_view(), name="session-detail"),
    path(f"{_base}/<str:upload_id>/chunks/<str:chunk_index>", views.UploadChunkView.as_view(), name="chunk"),
    path(f"{_base}/<str:upload_id>/complete", views.UploadCompleteView.as_view(), name="complete"),
    path(f"{_base}/<str:upload_id>/parts", views.UploadPartsView.as_view(), name="parts"),
]
