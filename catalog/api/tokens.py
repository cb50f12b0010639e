"""API of the caller's API tokens: list, create (the secret is shown once) and revoke."""

import uuid

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers

from catalog import services
from catalog.choices import TokenScope
from catalog.models import ApiToken
from common.api.schema import responses, uuid_path_parameter
from common.api.serializers import StrictFieldsMixin, choice_error
from common.api.views import ApiView
from common.errors import NotFound


class ApiTokenSerializer(serializers.ModelSerializer):
    status = serializers.SerializerMethodField(help_text="`active`, `revoked` or `expired`.")

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "scope", "status", "expires_at", "last_used_at", "revoked_at", "created_at"]
        read_only_fields = fields

    @extend_schema_field({"type": "string", "enum": ["active", "revoked", "expired"]})
    def get_status(self, token) -> str:
        if token.revoked_at is not None:
            return "revoked"
        if token.expires_at is not None and token.expires_at <= timezone.now():
            return "expired"
        return "active"


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    token = serializers.SerializerMethodField(
        help_text="The secret, shown this once: send it as `Authorization: Bearer <token>`. It is not stored."
    )

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
        read_only_fields = fields

    def get_token(self, token) -> str:
        return self.context["secret"]


class ApiTokenCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="A name to recognise the token by, e.g. “CI pipeline”.")
    scope = serializers.ChoiceField(
        choices=TokenScope.choices,
        default=TokenScope.READ,
        error_messages={"invalid_choice": choice_error(TokenScope.values)},
        help_text="`read` tokens may only read; `write` tokens may also change data.",
    )
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="When the token stops working; empty for never."
    )


class ApiTokenListView(ApiView):
    serializer_class = ApiTokenSerializer

    @extend_schema(
        tags=["api tokens"],
        summary="Your API tokens",
        description="Revoked and expired tokens are listed too, with their `status`. Secrets are never shown again.",
        responses=responses({200: ApiTokenSerializer(many=True)}),
    )
    def get(self, request):
        return self.answer_page(ApiToken.objects.filter(user=request.user).order_by("-created_at"))

    @extend_schema(
        tags=["api tokens"],
        summary="Create an API token",
        description="Answers the token's secret once, in `token`; store it, it cannot be shown again.",
        request=ApiTokenCreateSerializer,
        responses=responses({201: ApiTokenCreatedSerializer}, 400, 403, 409),
    )
    def post(self, request):
        token, secret = services.api_token_create(actor=request.user, **self.valid_body(ApiTokenCreateSerializer))
        return self.created(token, serializer_class=ApiTokenCreatedSerializer, secret=secret)


class ApiTokenDetailView(ApiView):
    @extend_schema(
        tags=["api tokens"],
        summary="Revoke an API token",
        description="The token stops working at once. Revoking a revoked token changes nothing.",
        parameters=[uuid_path_parameter("token_id", "The token's id.")],
        request=None,
        responses=responses({204: OpenApiResponse(description="Revoked.")}, 403, 404),
    )
    def delete(self, request, token_id):
        services.api_token_revoke(actor=request.user, token=_own_token(request.user, token_id))
        return self.no_content()


def _own_token(user, token_id: str) -> ApiToken:
    try:
        pk = uuid.UUID(token_id)
    except ValueError:
        pk = None
    token = ApiToken.objects.filter(user=user, pk=pk).first() if pk else None
    if token is None:
        raise NotFound("You have no API token with this id.")
    return token
