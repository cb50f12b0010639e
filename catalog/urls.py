from django.urls import path

from catalog import views, views_collab

app_name = "catalog"
# A record's collaboration, shown on its Governance tab.
_RECORD = "models/<uuid:product_id>/governance"
urlpatterns = [
    path("o/<slug:org_slug>/spaces/", views.space_directory, name="space_directory"),
    path("s/<slug:space_slug>/members/", views.space_members, name="space_members"),
    path("settings/tokens/", views.token_list, name="token_list"),
    path("settings/tokens/<uuid:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path(f"{_RECORD}/roles/add/", views_collab.product_role_add, name="product_role_add"),
    path(f"{_RECORD}/roles/<int:role_id>/remove/", views_collab.product_role_remove, name="product_role_remove"),
    path(f"{_RECORD}/comments/add/", views_collab.comment_add, name="comment_add"),
    path(f"{_RECORD}/comments/<uuid:comment_id>/edit/", views_collab.comment_edit, name="comment_edit"),
    path(f"{_RECORD}/comments/<uuid:comment_id>/delete/", views_collab.comment_delete, name="comment_delete"),
    path(f"{_RECORD}/attachments/add/", views_collab.attachment_add, name="attachment_add"),
    path(f"{_RECORD}/attachments/<uuid:attachment_id>/", views_collab.attachment_download, name="attachment_download"),
    path(f"{_RECORD}/attachments/<uuid:attachment_id>/delete/", views_collab.attachment_delete,
         name="attachment_delete"),
]
