"""Shapes of spaces and API tokens in the API. Serializers check shape only; the services
enforce the domain rules."""

from collections.abc import Mapping

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.choices import TokenScope
from catalog.models import ApiToken, Space


class StrictFieldsMixin:
    """Refuses fields the serializer does not accept, naming each one, instead of silently
    dropping them (a misspelt field would otherwise look like a successful update)."""

    default_error_messages = {
        "invalid": "The request body must be a JSON object of fields, not {datatype}.",
    }
    unknown_field_message = "Unknown field; the schema at /api/schema/ lists the accepted fields."
    read_only_field_message = "This field is read-only and cannot be set."

    def validate_empty_values(self, data):
        if data is None:
            raise serializers.ValidationError(
                {"non_field_errors": ["The request body must be a JSON object of fields, not null."]}
            )
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            errors = {}
            for name in data:
                field = self.fields.get(name)
                if field is None:
                    errors[name] = [self.unknown_field_message]
                elif field.read_only:
                    errors[name] = [self.read_only_field_message]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


def choice_error(choices) -> str:
    return "“{input}” is not a valid choice; use one of: " + ", ".join(str(c) for c in choices) + "."


# --- Spaces -----------------------------------------------------------------------------

class SpaceDirectoryEntrySerializer(serializers.ModelSerializer):
    """A space as the organization's directory lists it: enough to ask for access."""

    can_view = serializers.SerializerMethodField(help_text="Whether you can see the space's contents.")

    class Meta:
        model = Space
        fields = ["id", "slug", "name", "description", "can_view"]
        read_only_fields = fields

    def get_can_view(self, space) -> bool:
        return space.pk in self.context["visible_space_ids"]


class SpaceCountsSerializer(serializers.Serializer):
    model_records = serializers.IntegerField(help_text="Active (non-archived) model records you can see.")
    archived_model_records = serializers.IntegerField(help_text="Archived model records you can see.")
    active_products = serializers.IntegerField(
        help_text="Non-archived catalog products of every type: what the catalog product limit counts."
    )


class SpaceSerializer(serializers.ModelSerializer):
    organization = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    counts = SpaceCountsSerializer(source="*", read_only=True)
    can_create_records = serializers.SerializerMethodField(help_text="Whether you may create records here.")

    class Meta:
        model = Space
        fields = ["id", "slug", "name", "description", "organization", "catalog_product_limit", "counts",
                  "can_create_records", "created_at"]
        read_only_fields = fields

    def get_can_create_records(self, space) -> bool:
        return self.context["can_create_records"]


# --- API tokens -------------------------------------------------------------------------

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
