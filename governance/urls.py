from django.urls import path

from governance.views import access_requests, audit, change_requests, inbox, policy, provenance, quality

app_name = "governance"
_AR = "access-requests/<uuid:access_request_id>"
_CR = "change-requests/<uuid:change_request_id>"
_CR_OF = "models/<uuid:product_id>/governance/change-requests/"
urlpatterns = [
    path("models/<uuid:product_id>/versions/<uuid:version_id>/", provenance.VersionDetailView.as_view(),
         name="version_detail"),
    path("s/<slug:space_slug>/audit/", audit.space_audit, name="space_audit"),
    path("o/<slug:org_slug>/audit/", audit.organization_audit, name="organization_audit"),
    path(_CR_OF, change_requests.change_request_list, name="change_request_list"),
    path(f"{_CR_OF}new/", change_requests.change_request_create, name="change_request_create"),
    path(f"{_CR}/", change_requests.change_request_detail, name="change_request_detail"),
    path(f"{_CR}/review/", change_requests.change_request_review, name="change_request_review"),
    path(f"{_CR}/apply/", change_requests.change_request_apply, name="change_request_apply"),
    path(f"{_CR}/cancel/", change_requests.change_request_cancel, name="change_request_cancel"),
    path(f"{_CR}/submit/", change_requests.change_request_submit, name="change_request_submit"),
    path("o/<slug:org_slug>/access-requests/new/", access_requests.access_request_create, name="access_request_create"),
    path(f"{_AR}/", access_requests.access_request_detail, name="access_request_detail"),
    path(f"{_AR}/grant/", access_requests.access_request_grant, name="access_request_grant"),
    path(f"{_AR}/reject/", access_requests.access_request_reject, name="access_request_reject"),
    path(f"{_AR}/revoke/", access_requests.access_request_revoke, name="access_request_revoke"),
    path(f"{_AR}/cancel/", access_requests.access_request_cancel, name="access_request_cancel"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("models/<uuid:product_id>/quality/run/", quality.quality_run, name="quality_run"),
    path("models/<uuid:product_id>/quality/checks/new/", quality.quality_check_create, name="quality_check_create"),
    path("quality-checks/<uuid:check_id>/", quality.quality_check_detail, name="quality_check_detail"),
    path("s/<slug:space_slug>/policy/", policy.space_change_policy, name="space_change_policy"),
]
