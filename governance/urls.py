from django.urls import path

from governance import views

app_name = "governance"
_RECORD = "models/<uuid:product_id>/governance"
urlpatterns = [
    path("s/<slug:space_slug>/audit/", views.space_audit, name="space_audit"),
    path("o/<slug:org_slug>/audit/", views.organization_audit, name="organization_audit"),
    path(f"{_RECORD}/roles/add/", views.product_role_add, name="product_role_add"),
    path(f"{_RECORD}/roles/<int:role_id>/remove/", views.product_role_remove, name="product_role_remove"),
    path(f"{_RECORD}/comments/add/", views.comment_add, name="comment_add"),
    path(f"{_RECORD}/comments/<uuid:comment_id>/edit/", views.comment_edit, name="comment_edit"),
    path(f"{_RECORD}/comments/<uuid:comment_id>/delete/", views.comment_delete, name="comment_delete"),
    path(f"{_RECORD}/attachments/add/", views.attachment_add, name="attachment_add"),
    path(f"{_RECORD}/attachments/<uuid:attachment_id>/", views.attachment_download, name="attachment_download"),
    path(f"{_RECORD}/attachments/<uuid:attachment_id>/delete/", views.attachment_delete, name="attachment_delete"),
]
