"""API of change requests, access requests, space members and the inbox: thin views over
governance.change_requests."""

from catalog import selectors as catalog_selectors
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from governance import change_requests
from governance.api.requests_serializers import (
    ChangeRequestCreateSerializer,
    ChangeRequestSerializer,
    ChangeReviewCreateSerializer,
)
from governance.models import ChangeRequest
from common.api.schema import QarionAutoSchema, responses, uuid_path_parameter

_PRODUCT_ID = uuid_path_parameter("product_id", "The product's id.")
_CR_ID = uuid_path_parameter("change_request_id", "The change request's id.")


def _prefetched(qs):
    return qs.prefetch_related("reviews__reviewer")


class ProductChangeRequestListView(generics.GenericAPIView):
    schema = QarionAutoSchema()
    serializer_class = ChangeRequestSerializer
    queryset = ChangeRequest.objects.none()
    filter_backends = []

    @extend_schema(tags=["change requests"], summary="The product's change requests, newest first",
                   parameters=[_PRODUCT_ID], responses=responses({200: ChangeRequestSerializer(many=True)}, 404))
    def get(self, request, product_id):
        product = catalog_selectors.visible_product(user=request.user, product_id=product_id)
        page = self.paginate_queryset(_prefetched(change_requests.change_request_list(user=request.user, product=product)))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        tags=["change requests"], summary="Open a change request",
        description="Space members and above, and any product role. Proposes new values for record fields; the "
        "current values are kept as the old ones. Reviewers are the product's owners and data architects (a space "
        "admin stands in for a group that is empty or holds only the requester).",
        parameters=[_PRODUCT_ID], request=ChangeRequestCreateSerializer,
        responses=responses({201: ChangeRequestSerializer}, 400, 403, 404))
    def post(self, request, product_id):
        product = catalog_selectors.visible_product(user=request.user, product_id=product_id)
        body = ChangeRequestCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        change_request = change_requests.change_request_create(actor=request.user, product=product, **body.validated_data)
        return Response(ChangeRequestSerializer(change_request).data, status=status.HTTP_201_CREATED)


class ChangeRequestDetailView(generics.GenericAPIView):
    schema = QarionAutoSchema()
    serializer_class = ChangeRequestSerializer
    queryset = ChangeRequest.objects.none()
    filter_backends = []

    @extend_schema(tags=["change requests"], summary="One change request", parameters=[_CR_ID],
                   responses=responses({200: ChangeRequestSerializer}, 404))
    def get(self, request, change_request_id):
        change_request = change_requests.visible_change_request(user=request.user, change_request_id=change_request_id)
        return Response(ChangeRequestSerializer(change_request).data)


class ChangeRequestReviewView(generics.GenericAPIView):
    schema = QarionAutoSchema()
    serializer_class = ChangeRequestSerializer
    queryset = ChangeRequest.objects.none()
    filter_backends = []

    @extend_schema(
        tags=["change requests"], summary="Approve or reject a change request",
        description="Product owners, data architects and space admins; never the requester. Notes are required to "
        "reject. Any rejection rejects; the request is approved once every reviewer group has approved. 409 "
        "`invalid_state` when it is not pending, `duplicate` when you already reviewed it.",
        parameters=[_CR_ID], request=ChangeReviewCreateSerializer,
        responses=responses({200: ChangeRequestSerializer}, 400, 403, 404, 409))
    def post(self, request, change_request_id):
        change_request = change_requests.visible_change_request(user=request.user, change_request_id=change_request_id)
        body = ChangeReviewCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        change_request = change_requests.change_request_review(actor=request.user, change_request=change_request,
                                                        **body.validated_data)
        return Response(ChangeRequestSerializer(change_request).data)


def _action_view(name, summary, description, service):
    class View(generics.GenericAPIView):
        schema = QarionAutoSchema()
        serializer_class = ChangeRequestSerializer
        queryset = ChangeRequest.objects.none()
        filter_backends = []

        @extend_schema(tags=["change requests"], summary=summary, description=description, parameters=[_CR_ID],
                       request=None, responses=responses({200: ChangeRequestSerializer}, 403, 404, 409))
        def post(self, request, change_request_id):
            change_request = change_requests.visible_change_request(user=request.user, change_request_id=change_request_id)
            change_request = service(actor=request.user, change_request=change_request)
            return Response(ChangeRequestSerializer(change_request).data)

    View.__name__ = View.__qualname__ = name
    return View


ChangeRequestApplyView = _action_view(
    "ChangeRequestApplyView", "Apply an approved change request",
    "The requester or a space admin. Writes every change at once if each field still holds its old value (the "
    "current version or artifact still the old one, a version to release still a draft with the same files); "
    "otherwise the request becomes `stale`, nothing changes and the answer is 409 `stale`. Releases and pointer "
    "moves go through the same code as the direct actions (history, audit, signing); a refusal there (a version "
    "yanked since, pickle-based files the space now forbids) answers its 409 and leaves the request approved.",
    change_requests.change_request_apply)
ChangeRequestCancelView = _action_view(
    "ChangeRequestCancelView", "Cancel a change request", "The requester, while it is a draft, pending or approved.",
    change_requests.change_request_cancel)
ChangeRequestSubmitView = _action_view(
    "ChangeRequestSubmitView", "Submit a draft change request for review", "The requester only.",
    change_requests.change_request_submit)
