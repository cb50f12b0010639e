from django.urls import path

from common.urls import verb_routes
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
    *verb_routes(_CR, "change_request", {verb: getattr(change_requests, f"change_request_{verb}")
                                         for verb in ("review", "apply", "cancel", "submit")}),
    path("o/<slug:org_slug>/access-requests/new/", access_requests.access_request_create, name="access_request_create"),
    path(f"{_AR}/", access_requests.access_request_detail, name="access_request_detail"),
    *verb_routes(_AR, "access_request", {verb: getattr(access_requests, f"access_request_{verb}")
                                         for verb in ("grant", "reject", "revoke", "cancel")}),
    path("inbox/", inbox.inbox, name="inbox"),
    path("models/<uuid:product_id>/quality/run/", quality.quality_run, name="quality_run"),
    path("models/<uuid:product_id>/quality/checks/new/", quality.quality_check_create, name="quality_check_create"),
    path("quality-checks/<uuid:check_id>/", quality.quality_check_detail, name="quality_check_detail"),
    path("s/<slug:space_slug>/policy/", policy.space_change_policy, name="space_change_policy"),
]
