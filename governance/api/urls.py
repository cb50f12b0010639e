"""Governance's API routes: the audit log, product roles, change requests, access requests,
quality checks, a space's change policy and a version's provenance. Ids are matched as any
string, so a malformed id answers 404 in the API's error format from the view."""

from django.urls import path

from common.urls import verb_routes
from governance.api import access_requests, audit, change_requests, policy, provenance, quality, roles

app_name = "governance-api"

_PRODUCT = "catalog/products/<str:product_id>"
_CHANGE_REQUEST = "governance/change-requests/<str:change_request_id>"
_ACCESS_REQUEST = "governance/access-requests/<str:access_request_id>"

urlpatterns = [
    path(f"{_PRODUCT}/model-versions/<str:version_id>/provenance", provenance.VersionProvenanceView.as_view(),
         name="version_provenance"),
    path("audit/events", audit.AuditEventListView.as_view(), name="audit_events"),
    path(f"{_PRODUCT}/roles", roles.ProductRoleListView.as_view(), name="product_roles"),
    path(f"{_PRODUCT}/roles/<int:role_id>", roles.ProductRoleDetailView.as_view(), name="product_role"),
    path(f"{_PRODUCT}/change-requests", change_requests.ProductChangeRequestListView.as_view(),
         name="product_change_requests"),
    path(_CHANGE_REQUEST, change_requests.ChangeRequestDetailView.as_view(), name="change_request"),
    path(f"{_CHANGE_REQUEST}/reviews", change_requests.ChangeRequestReviewView.as_view(), name="change_request_review"),
    *verb_routes(_CHANGE_REQUEST, "change_request", {verb: getattr(change_requests, f"ChangeRequest{verb.title()}View")
                                                     .as_view() for verb in ("apply", "cancel", "submit")}, slash=""),
    path("governance/access-requests", access_requests.AccessRequestListView.as_view(), name="access_requests"),
    path(_ACCESS_REQUEST, access_requests.AccessRequestDetailView.as_view(), name="access_request"),
    *verb_routes(_ACCESS_REQUEST, "access_request", {verb: getattr(access_requests, f"AccessRequest{verb.title()}View")
                                                     .as_view() for verb in ("grant", "reject", "revoke", "cancel")},
                 slash=""),
    path(f"{_PRODUCT}/quality", quality.ProductQualityView.as_view(), name="product_quality"),
    path(f"{_PRODUCT}/quality/run", quality.ProductQualityRunView.as_view(), name="product_quality_run"),
    path(f"{_PRODUCT}/quality/checks", quality.ProductQualityCheckListView.as_view(), name="product_quality_checks"),
    path("governance/quality-checks/<str:check_id>/results", quality.QualityResultListView.as_view(),
         name="quality_results"),
    path("catalog/spaces/<slug:space_slug>/change-policy", policy.SpaceChangePolicyView.as_view(),
         name="space_change_policy"),
]
