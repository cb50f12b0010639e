from django.urls import path

from catalog.api import collab_views as views

app_name = "catalog-collab-api"
_PRODUCT = "catalog/products/<str:product_id>"
urlpatterns = [
    path(f"{_PRODUCT}/comments", views.CommentListView.as_view(), name="comments"),
    path(f"{_PRODUCT}/comments/<str:comment_id>", views.CommentDetailView.as_view(), name="comment"),
    path(f"{_PRODUCT}/attachments", views.AttachmentListView.as_view(), name="attachments"),
    path(f"{_PRODUCT}/attachments/<str:attachment_id>", views.AttachmentDetailView.as_view(), name="attachment"),
    path(f"{_PRODUCT}/attachments/<str:attachment_id>/download", views.AttachmentDownloadView.as_view(),
         name="attachment_download"),
]
