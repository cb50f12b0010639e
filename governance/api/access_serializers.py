from rest_framework import serializers

from catalog import access
from governance import access_requests
from catalog.models import AccessLevel, AccessRequest


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
