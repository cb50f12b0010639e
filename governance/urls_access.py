from django.urls import path

from governance import views_access as views

app_name = "governance_access"
_AR = "access-requests/<uuid:access_request_id>"
urlpatterns = [
    path("o/<slug:org_slug>/access-requests/new/", views.access_request_create, name="access_request_create"),
    path(f"{_AR}/", views.access_request_detail, name="access_request_detail"),
    path(f"{_AR}/grant/", views.access_request_grant, name="access_request_grant"),
    path(f"{_AR}/reject/", views.access_request_reject, name="access_request_reject"),
    path(f"{_AR}/revoke/", views.access_request_revoke, name="access_request_revoke"),
    path(f"{_AR}/cancel/", views.access_request_cancel, name="access_request_cancel"),
    path("inbox/", views.inbox, name="inbox"),
]
