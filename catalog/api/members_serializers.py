from rest_framework import serializers

from catalog.choices import SpaceRole
from catalog.models import SpaceMembership


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
