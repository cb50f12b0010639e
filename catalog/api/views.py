"""API views of the catalog: the space directory, one space, and the caller's API tokens."""

import uuid

from django.db.models import Count, Q
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.choices import AI_PRODUCT_TYPES
from catalog import services
from catalog.api.lookups import member_organization, visible_space
from catalog.api.serializers import (
    ApiTokenCreatedSerializer,
    ApiTokenCreateSerializer,
    ApiTokenSerializer,
    SpaceDirectoryEntrySerializer,
    SpaceSerializer,
)
from catalog.models import ApiToken, Product, Space
from catalog import access
from common.api.schema import QarionAutoSchema, responses, uuid_path_parameter
from common.errors import NotFound


class OrganizationSpaceListView(generics.GenericAPIView):
    schema = QarionAutoSchema()
    serializer_class = SpaceDirectoryEntrySerializer
    queryset = Space.objects.none()  # the schema's model; requests build their own
    filter_backends = []

    @extend_schema(
        tags=["spaces"],
        summary="The organization's space directory",
        description="Every space of the organization by name, with `can_view` saying whether you can see its "
        "contents (ask a space admin for access to the others). Organization members only.",
        responses=responses({200: SpaceDirectoryEntrySerializer(many=True)}, 404),
    )
    def get(self, request, org_slug):
        organization = member_organization(request.user, org_slug)
        spaces = Space.objects.filter(organization=organization).order_by("name", "slug")
        visible_ids = set(access.visible_spaces(request.user, organization).values_list("pk", flat=True))
        page = self.paginate_queryset(spaces)
        serializer = self.get_serializer(page, many=True, context={"visible_space_ids": visible_ids})
        return self.get_paginated_response(serializer.data)


class SpaceDetailView(APIView):
    schema = QarionAutoSchema()
    @extend_schema(
        tags=["spaces"],
        summary="One space with its counts",
        responses=responses({200: SpaceSerializer}, 404),
    )
    def get(self, request, space_slug):
        space = visible_space(request.user, space_slug)
        records = access.restrict(Product.objects.filter(space=space, product_type__in=AI_PRODUCT_TYPES), request.user)
        counts = records.aggregate(
            model_records=Count("pk", filter=Q(is_archived=False)),
            archived_model_records=Count("pk", filter=Q(is_archived=True)),
        )
        space.model_records = counts["model_records"]
        space.archived_model_records = counts["archived_model_records"]
        space.active_products = Product.objects.filter(space=space, is_archived=False).count()
        context = {"can_create_records": access.can(request.user, access.CREATE_PRODUCT, space)}
        return Response(SpaceSerializer(space, context=context).data)


class ApiTokenListView(generics.ListAPIView):
    schema = QarionAutoSchema()
    serializer_class = ApiTokenSerializer
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApiToken.objects.none()
        return ApiToken.objects.filter(user=self.request.user).order_by("-created_at")

    @extend_schema(
        tags=["api tokens"],
        summary="Your API tokens",
        description="Revoked and expired tokens are listed too, with their `status`. Secrets are never shown again.",
        responses=responses({200: ApiTokenSerializer(many=True)}),
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["api tokens"],
        summary="Create an API token",
        description="Answers the token's secret once, in `token`; store it, it cannot be shown again.",
        request=ApiTokenCreateSerializer,
        responses=responses({201: ApiTokenCreatedSerializer}, 400, 403),
    )
    def post(self, request):
        serializer = ApiTokenCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, secret = services.api_token_create(actor=request.user, **serializer.validated_data)
        body = ApiTokenCreatedSerializer(token, context={"secret": secret}).data
        return Response(body, status=status.HTTP_201_CREATED)


class ApiTokenDetailView(APIView):
    schema = QarionAutoSchema()
    @extend_schema(
        tags=["api tokens"],
        summary="Revoke an API token",
        description="The token stops working at once. Revoking a revoked token changes nothing.",
        parameters=[uuid_path_parameter("token_id", "The token's id.")],
        request=None,
        responses=responses({204: OpenApiResponse(description="Revoked.")}, 403, 404),
    )
    def delete(self, request, token_id):
        token = _own_token(request.user, token_id)
        services.api_token_revoke(actor=request.user, token=token)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _own_token(user, token_id: str) -> ApiToken:
    try:
        pk = uuid.UUID(token_id)
    except ValueError:
        pk = None
    token = ApiToken.objects.filter(user=user, pk=pk).first() if pk else None
    if token is None:
        raise NotFound("You have no API token with this id.")
    return token
