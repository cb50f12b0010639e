from django.urls import path

from governance.api import requests_views as views

app_name = "governance-requests-api"
_CR = "governance/change-requests/<str:change_request_id>"
urlpatterns = [
    path("catalog/products/<str:product_id>/change-requests", views.ProductChangeRequestListView.as_view(),
         name="product_change_requests"),
    path(_CR, views.ChangeRequestDetailView.as_view(), name="change_request"),
    path(f"{_CR}/reviews", views.ChangeRequestReviewView.as_view(), name="change_request_review"),
    path(f"{_CR}/apply", views.ChangeRequestApplyView.as_view(), name="change_request_apply"),
    path(f"{_CR}/cancel", views.ChangeRequestCancelView.as_view(), name="change_request_cancel"),
    path(f"{_CR}/submit", views.ChangeRequestSubmitView.as_view(), name="change_request_submit"),
]
