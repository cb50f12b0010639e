"""The catalog's API routes: spaces and their members and data products, the caller's API
tokens, and a product's lineage, comments and attachments. Ids are matched as any string, so
a malformed id answers 404 in the API's error format from the view."""

from django.urls import path

from catalog.api import collaboration, lineage, members, products, spaces, tokens

app_name = "catalog-api"

_SPACE = "catalog/spaces/<slug:space_slug>"
_PRODUCT = "catalog/products/<str:product_id>"

urlpatterns = [
    path("organizations/<slug:org_slug>/spaces", spaces.OrganizationSpaceListView.as_view(), name="space_directory"),
    path(_SPACE, spaces.SpaceDetailView.as_view(), name="space_detail"),
    path(f"{_SPACE}/members", members.SpaceMemberListView.as_view(), name="space_members"),
    path(f"{_SPACE}/members/<str:username>", members.SpaceMemberDetailView.as_view(), name="space_member"),
    path(f"{_SPACE}/products", products.DataProductListView.as_view(), name="product_list"),
    path("users/me/tokens", tokens.ApiTokenListView.as_view(), name="token_list"),
    path("users/me/tokens/<str:token_id>", tokens.ApiTokenDetailView.as_view(), name="token_detail"),
    path(f"{_PRODUCT}/lineage", lineage.LineageView.as_view(), name="lineage"),
    path(f"{_PRODUCT}/lineage/<str:edge_id>", lineage.LineageEdgeView.as_view(), name="lineage_edge"),
    path(f"{_PRODUCT}/comments", collaboration.CommentListView.as_view(), name="comments"),
    path(f"{_PRODUCT}/comments/<str:comment_id>", collaboration.CommentDetailView.as_view(), name="comment"),
    path(f"{_PRODUCT}/attachments", collaboration.AttachmentListView.as_view(), name="attachments"),
    path(f"{_PRODUCT}/attachments/<str:attachment_id>", collaboration.AttachmentDetailView.as_view(),
         name="attachment"),
    path(f"{_PRODUCT}/attachments/<str:attachment_id>/download", collaboration.AttachmentDownloadView.as_view(),
         name="attachment_download"),
]
