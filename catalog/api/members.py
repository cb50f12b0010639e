"""API of a space's members, for space admins: thin views over the catalog services."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers

from catalog import access, services
from catalog.api.scopes import SpaceView, permitted
from catalog.choices import SpaceRole
from catalog.models import SpaceMembership
from common.api.schema import responses
from common.errors import NotFound


class SpaceMemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = SpaceMembership
        fields = ["username", "role"]
        read_only_fields = fields


class SpaceMemberCreateSerializer(serializers.Serializer):
    username = serializers.CharField(help_text="An existing user of the space's organization.")
    role = serializers.ChoiceField(choices=SpaceRole.choices)


class SpaceMemberRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=SpaceRole.choices)


_USERNAME = OpenApiParameter("username", str, OpenApiParameter.PATH, description="The member's username.")


class _MembersView(SpaceView):
    """Only space admins see and manage the members (403 for other viewers of the space)."""

    serializer_class = SpaceMemberSerializer

    def space(self):
        return permitted(self.request.user, access.MANAGE, super().space(), "Only space admins manage members.")

    def member(self, space) -> SpaceMembership:
        username = self.kwargs["username"]
        membership = SpaceMembership.objects.filter(space=space, user__username=username).select_related("user").first()
        if membership is None:
            raise NotFound(f"“{username}” is not a member of this space.")
        return membership


class SpaceMemberListView(_MembersView):
    @extend_schema(tags=["spaces"], summary="The space's members (space admins)",
                   responses=responses({200: SpaceMemberSerializer(many=True)}, 403, 404))
    def get(self, request, space_slug):
        members = SpaceMembership.objects.filter(space=self.space()).select_related("user")
        return self.answer_page(members.order_by("user__username"))

    @extend_schema(tags=["spaces"], summary="Add a user of the organization to the space with a role",
                   description="Space admins. 409 `duplicate` when the user is already a member.",
                   request=SpaceMemberCreateSerializer,
                   responses=responses({201: SpaceMemberSerializer}, 400, 403, 404, 409))
    def post(self, request, space_slug):
        space = self.space()
        body = self.valid_body(SpaceMemberCreateSerializer)
        user = get_user_model().objects.filter(username=body["username"]).first()
        return self.created(services.space_member_add(actor=request.user, space=space, user=user, role=body["role"]))


class SpaceMemberDetailView(_MembersView):
    @extend_schema(tags=["spaces"], summary="Change a member's role",
                   description="Space admins. 409 `last_admin` when it would leave the space without an admin.",
                   parameters=[_USERNAME], request=SpaceMemberRoleSerializer,
                   responses=responses({200: SpaceMemberSerializer}, 400, 403, 404, 409))
    def patch(self, request, space_slug, username):
        space = self.space()
        membership = self.member(space)
        role = self.valid_body(SpaceMemberRoleSerializer)["role"]
        return self.answer(services.space_member_change_role(actor=request.user, space=space, user=membership.user,
                                                             role=role))

    @extend_schema(tags=["spaces"], summary="Remove a member from the space",
                   description="Space admins. 409 `last_admin` for the space's last admin.",
                   parameters=[_USERNAME], request=None, responses=responses({204: None}, 403, 404, 409))
    def delete(self, request, space_slug, username):
        space = self.space()
        services.space_membership_remove(actor=request.user, space=space, user=self.member(space).user)
        return self.no_content()
