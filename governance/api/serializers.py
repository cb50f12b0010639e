from django.contrib.auth import get_user_model
from rest_framework import serializers

from catalog.choices import ProductRoleName
from catalog.models import AuditEvent, ProductRole


class AuditEventSerializer(serializers.ModelSerializer):
    organization = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = ["id", "chain", "organization", "sequence", "actor_id", "actor_name", "action", "target_type",
                  "target_id", "target_name", "space_id", "space_slug", "changes", "ip", "request_id", "created_at",
                  "prev_hash", "hash"]
        read_only_fields = fields

    def get_organization(self, event) -> str | None:
        return str(event.organization_id) if event.organization_id else None


class ProductRoleSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    user_id = serializers.IntegerField(source="user.pk", read_only=True)

    class Meta:
        model = ProductRole
        fields = ["id", "user_id", "username", "role", "created_at"]
        read_only_fields = fields


class ProductRoleCreateSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=get_user_model()._meta.get_field("username").max_length)
    role = serializers.ChoiceField(choices=ProductRoleName.choices)
