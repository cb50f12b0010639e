"""API of a space's members, for space admins: thin views over the catalog services."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from catalog import services
from catalog.api.lookups import visible_space
from catalog.api.members_serializers import SpaceMemberCreateSerializer, SpaceMemberRoleSerializer, SpaceMemberSerializer
from catalog.models import SpaceMembership
from catalog import access
from common.api.schema import QarionAutoSchema, responses
from common.errors import NotFound, PermissionDenied

_USERNAME = OpenApiParameter("username", str, OpenApiParameter.PATH, description="The member's username.")


def _managed_space(user, space_slug):
    space = visible_space(user, space_slug)
    if not access.can(user, access.MANAGE, space):
        raise PermissionDenied("Only space admins manage members.")
    return space


def _member(space, username):
    membership = SpaceMembership.objects.filter(space=space, user__username=username).select_related("user").first()
    if membership is None:
        raise NotFound(f"“{username}” is not a member of this space.")
    return membership


class SpaceMemberListView(generics.GenericAPIView):
    schema = QarionAutoSchema()
    serializer_class = SpaceMemberSerializer
    queryset = SpaceMembership.objects.none()
    filter_backends = []

    @extend_schema(tags=["spaces"], summary="The space's members (space admins)",
                   responses=responses({200: SpaceMemberSerializer(many=True)}, 403, 404))
    def get(self, request, space_slug):
        space = _managed_space(request.user, space_slug)
        qs = SpaceMembership.objects.filter(space=space).select_related("user").order_by("user__username")
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(tags=["spaces"], summary="Add a user of the organization to the space with a role",
                   description="Space admins. 409 `duplicate` when the user is already a member.",
                   request=SpaceMemberCreateSerializer,
                   responses=responses({201: SpaceMemberSerializer}, 400, 403, 404, 409))
    def post(self, request, space_slug):
        space = _managed_space(request.user, space_slug)
        body = SpaceMemberCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = get_user_model().objects.filter(username=body.validated_data["username"]).first()
        membership = services.space_member_add(actor=request.user, space=space, user=user,
                                               role=body.validated_data["role"])
        return Response(SpaceMemberSerializer(membership).data, status=status.HTTP_201_CREATED)


class SpaceMemberDetailView(generics.GenericAPIView):
    schema = QarionAutoSchema()
    serializer_class = SpaceMemberSerializer
    queryset = SpaceMembership.objects.none()
    filter_backends = []

    @extend_schema(tags=["spaces"], summary="Change a member's role",
                   description="Space admins. 409 `last_admin` when it would leave the space without an admin.",
                   parameters=[_USERNAME], request=SpaceMemberRoleSerializer,
                   responses=responses({200: SpaceMemberSerializer}, 400, 403, 404, 409))
    def patch(self, request, space_slug, username):
        space = _managed_space(request.user, space_slug)
        membership = _member(space, username)
        body = SpaceMemberRoleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        membership = services.space_member_change_role(actor=request.user, space=space, user=membership.user,
                                                       role=body.validated_data["role"])
        return Response(SpaceMemberSerializer(membership).data)

    @extend_schema(tags=["spaces"], summary="Remove a member from the space",
                   description="Space admins. 409 `last_admin` for the space's last admin.",
                   parameters=[_USERNAME], request=None, responses=responses({204: None}, 403, 404, 409))
    def delete(self, request, space_slug, username):
        space = _managed_space(request.user, space_slug)
        membership = _member(space, username)
        services.space_membership_remove(actor=request.user, space=space, user=membership.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
