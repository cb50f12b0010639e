from django.urls import path

from governance.api import access_views as views

app_name = "governance-access-api"
_AR = "governance/access-requests/<str:access_request_id>"
urlpatterns = [
    path("governance/access-requests", views.AccessRequestListView.as_view(), name="access_requests"),
    path(_AR, views.AccessRequestDetailView.as_view(), name="access_request"),
    path(f"{_AR}/grant", views.AccessRequestGrantView.as_view(), name="access_request_grant"),
    path(f"{_AR}/reject", views.AccessRequestRejectView.as_view(), name="access_request_reject"),
    path(f"{_AR}/revoke", views.AccessRequestRevokeView.as_view(), name="access_request_revoke"),
    path(f"{_AR}/cancel", views.AccessRequestCancelView.as_view(), name="access_request_cancel"),
]
