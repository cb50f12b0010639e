"""API of access requests: thin views over governance.access_requests. Asking for a product answers
202 with the same body whether or not the product exists."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from catalog.models import Space
from governance import access_requests
from governance.api.access_serializers import (
    AccessDecisionSerializer,
    AccessRequestAcceptedSerializer,
    AccessRequestCreateSerializer,
    AccessRequestSerializer,
)
from catalog.models import AccessRequest, AccessRequestStatus
from common.api.schema import QarionAutoSchema, responses, uuid_path_parameter
from common.errors import Conflict, NotFound

_AR_ID = uuid_path_parameter("access_request_id", "The access request's id.")
PRODUCT_REQUEST_SENT = ("If this product exists in your organization, its owners, stewards and space admins have "
                        "your request; follow it in your access requests.")


class AccessRequestListView(generics.GenericAPIView):
    schema = QarionAutoSchema()
    serializer_class = AccessRequestSerializer
    queryset = AccessRequest.objects.none()
    filter_backends = []

    @extend_schema(
        tags=["access requests"], summary="My access requests and those I decide, newest first",
        parameters=[
            OpenApiParameter("role", str, enum=["mine", "to_decide"],
                             description="`mine`: those I asked; `to_decide`: pending ones waiting for my decision."),
            OpenApiParameter("status", str, enum=AccessRequestStatus.values)],
        responses=responses({200: AccessRequestSerializer(many=True)}))
    def get(self, request):
        role = request.query_params.get("role", "")
        if role == "to_decide":
            qs = access_requests.access_requests_to_decide(user=request.user)
        else:
            qs = access_requests.access_request_list(user=request.user)
            if role == "mine":
                qs = qs.filter(requester=request.user)
        if request.query_params.get("status"):
            qs = qs.filter(status=request.query_params["status"])
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        tags=["access requests"], summary="Ask for view or edit access to a product or a space",
        description="Any member of the organization. A product request answers 202 with the same body whether or "
        "not the product exists (nothing is recorded for an unknown one); a space request answers 201 with the "
        "request. 409 `already_granted` when you already have that access, `duplicate` for a second open space "
        "request.",
        request=AccessRequestCreateSerializer,
        responses=responses({201: AccessRequestSerializer, 202: AccessRequestAcceptedSerializer}, 400, 404, 409))
    def post(self, request):
        body = AccessRequestCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if data.get("product_id"):
            try:
                access_requests.access_request_create(actor=request.user, product_id=data["product_id"], level=data["level"],
                                               justification=data["justification"])
            except (NotFound, Conflict) as exc:
                if not (isinstance(exc, NotFound) or exc.code == "duplicate"):
                    raise
            return Response({"message": PRODUCT_REQUEST_SENT}, status=status.HTTP_202_ACCEPTED)
        space = Space.objects.filter(slug=data["space"]).first()
        access_request = access_requests.access_request_create(actor=request.user, space=space, level=data["level"],
                                                        justification=data["justification"])
        return Response(AccessRequestSerializer(access_request, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


class AccessRequestDetailView(generics.GenericAPIView):
    schema = QarionAutoSchema()
    serializer_class = AccessRequestSerializer
    queryset = AccessRequest.objects.none()
    filter_backends = []

    @extend_schema(tags=["access requests"], summary="One access request (the requester's or a decider's)",
                   parameters=[_AR_ID], responses=responses({200: AccessRequestSerializer}, 404))
    def get(self, request, access_request_id):
        access_request = access_requests.visible_access_request(user=request.user, access_request_id=access_request_id)
        return Response(self.get_serializer(access_request).data)


def _action_view(name, summary, description, service, with_notes=True):
    class View(generics.GenericAPIView):
        schema = QarionAutoSchema()
        serializer_class = AccessRequestSerializer
        queryset = AccessRequest.objects.none()
        filter_backends = []

        @extend_schema(tags=["access requests"], summary=summary, description=description, parameters=[_AR_ID],
                       request=AccessDecisionSerializer if with_notes else None,
                       responses=responses({200: AccessRequestSerializer}, 400, 403, 404, 409))
        def post(self, request, access_request_id):
            access_request = access_requests.visible_access_request(user=request.user, access_request_id=access_request_id)
            kwargs = {}
            if with_notes:
                body = AccessDecisionSerializer(data=request.data)
                body.is_valid(raise_exception=True)
                kwargs = body.validated_data
            access_request = service(actor=request.user, access_request=access_request, **kwargs)
            return Response(self.get_serializer(access_request).data)

    View.__name__ = View.__qualname__ = name
    return View


_DECIDERS = "The product's owners and stewards, or a space admin; never the requester."
AccessRequestGrantView = _action_view(
    "AccessRequestGrantView", "Grant an access request",
    f"{_DECIDERS} The access takes effect at once. 409 `invalid_state` unless it is requested.",
    access_requests.access_request_grant)
AccessRequestRejectView = _action_view(
    "AccessRequestRejectView", "Reject an access request", f"{_DECIDERS} Notes are required.",
    access_requests.access_request_reject)
AccessRequestRevokeView = _action_view(
    "AccessRequestRevokeView", "Revoke a granted access request", f"{_DECIDERS} The access ends at once.",
    access_requests.access_request_revoke)
AccessRequestCancelView = _action_view(
    "AccessRequestCancelView", "Cancel my access request", "The requester, while it is requested.",
    access_requests.access_request_cancel, with_notes=False)
