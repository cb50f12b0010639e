from django.urls import path

from governance.views import access_requests, inbox

app_name = "governance_access"
_AR = "access-requests/<uuid:access_request_id>"
urlpatterns = [
    path("o/<slug:org_slug>/access-requests/new/", access_requests.access_request_create, name="access_request_create"),
    path(f"{_AR}/", access_requests.access_request_detail, name="access_request_detail"),
    path(f"{_AR}/grant/", access_requests.access_request_grant, name="access_request_grant"),
    path(f"{_AR}/reject/", access_requests.access_request_reject, name="access_request_reject"),
    path(f"{_AR}/revoke/", access_requests.access_request_revoke, name="access_request_revoke"),
    path(f"{_AR}/cancel/", access_requests.access_request_cancel, name="access_request_cancel"),
    path("inbox/", inbox.inbox, name="inbox"),
]
