from django.urls import path

from governance.views import change_requests

app_name = "governance_requests"
urlpatterns = [
    path("models/<uuid:product_id>/governance/change-requests/", change_requests.change_request_list, name="change_request_list"),
    path("models/<uuid:product_id>/governance/change-requests/new/", change_requests.change_request_create, name="change_request_create"),
    path("change-requests/<uuid:change_request_id>/", change_requests.change_request_detail, name="change_request_detail"),
    path("change-requests/<uuid:change_request_id>/review/", change_requests.change_request_review, name="change_request_review"),
    path("change-requests/<uuid:change_request_id>/apply/", change_requests.change_request_apply, name="change_request_apply"),
    path("change-requests/<uuid:change_request_id>/cancel/", change_requests.change_request_cancel, name="change_request_cancel"),
    path("change-requests/<uuid:change_request_id>/submit/", change_requests.change_request_submit, name="change_request_submit"),
]
