"""API of access requests: ask for view or edit access to a product or a space, and grant,
reject, revoke or cancel one. Thin views over governance.access_requests. Asking for a product
answers 202 with the same body whether or not the product exists."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response

from catalog import access
from catalog.models import AccessLevel, AccessRequest, AccessRequestStatus, Space
from common.api.schema import responses, uuid_path_parameter
from common.api.views import ApiView
from common.errors import Conflict, NotFound
from governance import access_requests


class AccessRequestSerializer(serializers.ModelSerializer):
    requester = serializers.CharField(source="requester.username", read_only=True)
    space = serializers.CharField(source="space.slug", read_only=True)
    product_id = serializers.UUIDField(read_only=True, allow_null=True)
    product_name = serializers.SerializerMethodField(
        help_text="Shown to whoever may see the product or decide the request; null otherwise.")
    decided_by = serializers.CharField(source="decided_by.username", read_only=True, allow_null=True, default=None)

    class Meta:
        model = AccessRequest
        fields = ["id", "requester", "space", "product_id", "product_name", "level", "justification", "status",
                  "decided_by", "notes", "created_at", "decided_at"]
        read_only_fields = fields

    def get_product_name(self, access_request) -> str | None:
        user = self.context["request"].user
        if access_request.product_id is None:
            return None
        if access.can(user, access.VIEW, access_request.product) or access_requests.can_decide_access(user, access_request):
            return access_request.product.name
        return None


class AccessRequestCreateSerializer(serializers.Serializer):
    schema_exactly_one_of = ("product_id", "space")

    product_id = serializers.CharField(required=False, help_text="Ask for one product (its id).")
    space = serializers.CharField(required=False, help_text="Or ask for a whole space, by its slug.")
    level = serializers.ChoiceField(choices=AccessLevel.choices, default=AccessLevel.VIEW)
    justification = serializers.CharField()

    def validate(self, data):
        if bool(data.get("product_id")) == bool(data.get("space")):
            raise serializers.ValidationError({"product_id": ["Give either product_id or space."]})
        return data


class AccessRequestAcceptedSerializer(serializers.Serializer):
    message = serializers.CharField(help_text="The same whether or not the product exists.")


class AccessDecisionSerializer(serializers.Serializer):
    notes = serializers.CharField(required=False, allow_blank=True, default="", help_text="Required to reject.")


_AR_ID = uuid_path_parameter("access_request_id", "The access request's id.")
PRODUCT_REQUEST_SENT = ("If this product exists in your organization, its owners, stewards and space admins have "
                        "your request; follow it in your access requests.")


class AccessRequestListView(ApiView):
    serializer_class = AccessRequestSerializer

    @extend_schema(
        tags=["access requests"], summary="My access requests and those I decide, newest first",
        parameters=[
            OpenApiParameter("role", str, enum=["mine", "to_decide"],
                             description="`mine`: those I asked; `to_decide`: pending ones waiting for my decision."),
            OpenApiParameter("status", str, enum=AccessRequestStatus.values)],
        responses=responses({200: AccessRequestSerializer(many=True)}, 400))
    def get(self, request):
        role = self.query_choice("role", ["mine", "to_decide"])
        wanted_status = self.query_choice("status", AccessRequestStatus.values)
        if role == "to_decide":
            qs = access_requests.access_requests_to_decide(user=request.user)
        else:
            qs = access_requests.access_request_list(user=request.user)
            if role == "mine":
                qs = qs.filter(requester=request.user)
        if wanted_status:
            qs = qs.filter(status=wanted_status)
        return self.answer_page(qs)

    @extend_schema(
        tags=["access requests"], summary="Ask for view or edit access to a product or a space",
        description="Any member of the organization. A product request answers 202 with the same body whether or "
        "not the product exists (nothing is recorded for an unknown one); a space request answers 201 with the "
        "request. 409 `already_granted` when you already have that access, `duplicate` for a second open space "
        "request.",
        request=AccessRequestCreateSerializer,
        responses=responses({201: AccessRequestSerializer, 202: AccessRequestAcceptedSerializer}, 400, 404, 409))
    def post(self, request):
        data = self.valid_body(AccessRequestCreateSerializer)
        if data.get("product_id"):
            try:
                access_requests.access_request_create(actor=request.user, product_id=data["product_id"],
                                                      level=data["level"], justification=data["justification"])
            except (NotFound, Conflict) as exc:
                if not (isinstance(exc, NotFound) or exc.code == "duplicate"):
                    raise
            return Response({"message": PRODUCT_REQUEST_SENT}, status=status.HTTP_202_ACCEPTED)
        space = Space.objects.filter(slug=data["space"]).first()
        return self.created(access_requests.access_request_create(actor=request.user, space=space, level=data["level"],
                                                                  justification=data["justification"]))


class AccessRequestView(ApiView):
    """A view of the access request the path names (its requester's, or one its caller decides;
    404 otherwise)."""

    serializer_class = AccessRequestSerializer

    def access_request(self) -> AccessRequest:
        return access_requests.visible_access_request(user=self.request.user,
                                                      access_request_id=self.kwargs["access_request_id"])


class AccessRequestDetailView(AccessRequestView):
    @extend_schema(tags=["access requests"], summary="One access request (the requester's or a decider's)",
                   parameters=[_AR_ID], responses=responses({200: AccessRequestSerializer}, 404))
    def get(self, request, access_request_id):
        return self.answer(self.access_request())


class _AccessRequestActionView(AccessRequestView):
    """Decides the access request through ``service``, with the notes of the body when
    ``with_notes``."""

    service = None
    with_notes = True

    def post(self, request, access_request_id):
        access_request = self.access_request()
        kwargs = self.valid_body(AccessDecisionSerializer) if self.with_notes else {}
        return self.answer(self.service(actor=request.user, access_request=access_request, **kwargs))


def _action(summary, description):
    def schema(view):
        return extend_schema_view(post=extend_schema(
            tags=["access requests"], summary=summary, description=description, parameters=[_AR_ID],
            request=AccessDecisionSerializer if view.with_notes else None,
            responses=responses({200: AccessRequestSerializer}, 400, 403, 404, 409)))(view)
    return schema


_DECIDERS = "The product's owners and stewards, or a space admin; never the requester."


@_action("Grant an access request",
         f"{_DECIDERS} The access takes effect at once. 409 `invalid_state` unless it is requested.")
class AccessRequestGrantView(_AccessRequestActionView):
    service = staticmethod(access_requests.access_request_grant)


@_action("Reject an access request", f"{_DECIDERS} Notes are required.")
class AccessRequestRejectView(_AccessRequestActionView):
    service = staticmethod(access_requests.access_request_reject)


@_action("Revoke a granted access request", f"{_DECIDERS} The access ends at once.")
class AccessRequestRevokeView(_AccessRequestActionView):
    service = staticmethod(access_requests.access_request_revoke)


@_action("Cancel my access request", "The requester, while it is requested.")
class AccessRequestCancelView(_AccessRequestActionView):
    service = staticmethod(access_requests.access_request_cancel)
    with_notes = False
