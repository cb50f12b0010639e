from django.urls import path

from catalog.views import collaboration, lineage, products, spaces, tokens

app_name = "catalog"
# A record's collaboration, shown on its Governance tab.
_RECORD = "models/<uuid:product_id>/governance"
_PRODUCT = "p/<str:product_id>"
urlpatterns = [
    path("s/<slug:space_slug>/products/", products.DataProductListView.as_view(), name="product_list"),
    path("s/<slug:space_slug>/products/new/", products.DataProductCreateView.as_view(), name="product_create"),
    path(f"{_PRODUCT}/", products.ProductDetailView.as_view(), name="product_detail"),
    path(f"{_PRODUCT}/lineage/add/", lineage.LineageEdgeAddView.as_view(), name="lineage_add"),
    path(f"{_PRODUCT}/lineage/candidates/", lineage.LineageCandidatesView.as_view(), name="lineage_candidates"),
    path(f"{_PRODUCT}/lineage/<str:edge_id>/remove/", lineage.LineageEdgeRemoveView.as_view(), name="lineage_remove"),
    path("o/<slug:org_slug>/spaces/", spaces.space_directory, name="space_directory"),
    path("s/<slug:space_slug>/members/", spaces.space_members, name="space_members"),
    path("settings/tokens/", tokens.token_list, name="token_list"),
    path("settings/tokens/<uuid:token_id>/revoke/", tokens.token_revoke, name="token_revoke"),
    path(f"{_RECORD}/roles/add/", collaboration.product_role_add, name="product_role_add"),
    path(f"{_RECORD}/roles/<int:role_id>/remove/", collaboration.product_role_remove, name="product_role_remove"),
    path(f"{_RECORD}/comments/add/", collaboration.comment_add, name="comment_add"),
    path(f"{_RECORD}/comments/<uuid:comment_id>/edit/", collaboration.comment_edit, name="comment_edit"),
    path(f"{_RECORD}/comments/<uuid:comment_id>/delete/", collaboration.comment_delete, name="comment_delete"),
    path(f"{_RECORD}/attachments/add/", collaboration.attachment_add, name="attachment_add"),
    path(f"{_RECORD}/attachments/<uuid:attachment_id>/", collaboration.attachment_download, name="attachment_download"),
    path(f"{_RECORD}/attachments/<uuid:attachment_id>/delete/", collaboration.attachment_delete,
         name="attachment_delete"),
]
