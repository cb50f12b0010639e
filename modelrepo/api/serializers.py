"""The model record as the API shows it: ONE flat object with the product fields and the
model-details fields side by side (API.md). The fields are generated from the two models,
so their types, choices, lengths and validators (URLs, JSON objects, non-negative FLOP)
match the database and appear in the OpenAPI schema; the services enforce the domain rules."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import ChoiceField

from common.api.serializers import StrictFieldsMixin, choice_error
from catalog.choices import AI_PRODUCT_TYPES
from catalog.models import Product
from modelrepo import selectors
from modelrepo.models import ModelDetails
from modelrepo.services import DETAIL_FIELDS, PRODUCT_FIELDS


class _ProductFieldsSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = PRODUCT_FIELDS
        extra_kwargs = {
            "slug": {"required": False, "help_text": "Derived from the name when absent."},
            "product_type": {
                "choices": [(t.value, t.label) for t in AI_PRODUCT_TYPES],
                "error_messages": {
                    "invalid_choice": "“{input}” is not a model repository type; use one of: "
                    + ", ".join(AI_PRODUCT_TYPES) + "."
                },
                "help_text": "An AI/ML type: " + ", ".join(AI_PRODUCT_TYPES) + ".",
            },
        }


class _ModelDetailsFieldsSerializer(serializers.ModelSerializer):
    class Meta:
        model = ModelDetails
        fields = DETAIL_FIELDS


class CurrentVersionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    label = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField()
    deprecated = serializers.BooleanField()
    yanked = serializers.BooleanField()


class CurrentArtifactSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    file_name = serializers.CharField()
    kind = serializers.CharField()
    content_type = serializers.CharField()
    detected_format = serializers.CharField()
    sha256 = serializers.CharField()
    size_bytes = serializers.IntegerField()


class RepositorySummarySerializer(serializers.Serializer):
    """The selector's summary; its parts may be plain dicts or model rows."""

    version_count = serializers.IntegerField()
    current_version = CurrentVersionSerializer(allow_null=True)
    current_artifact = CurrentArtifactSerializer(allow_null=True)


@extend_schema_field(RepositorySummarySerializer)
class RepositorySummaryField(serializers.Field):
    """Read-only: the repository summary of the record (version count, current version and artifact)."""

    def __init__(self, **kwargs):
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, product):
        return RepositorySummarySerializer(selectors.repository_summary(product)).data


@extend_schema_field({"type": "object", "additionalProperties": True, "nullable": True})
class JSONObjectField(serializers.JSONField):
    """A JSON object (the model validator refuses other JSON values), nested at most
    MAX_DEPTH levels (deeper documents exhaust the JSON encoder's recursion when saved) and
    without NUL or unpaired surrogate characters (which PostgreSQL's jsonb refuses)."""

    MAX_DEPTH = 64
    default_error_messages = {
        "too_deep": f"Nest this JSON at most {MAX_DEPTH} levels deep.",
        "bad_character": "Strings in this JSON may not contain NUL (\\u0000) or unpaired surrogate characters.",
    }

    def to_internal_value(self, data):
        problem = _json_problem(data, self.MAX_DEPTH)
        if problem:
            self.fail(problem)
        return super().to_internal_value(data)


def _bad_string(text: str) -> bool:
    return "\x00" in text or any("\ud800" <= ch <= "\udfff" for ch in text)


def _json_problem(value, max_depth: int) -> str | None:
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if _bad_string(item):
                return "bad_character"
        elif isinstance(item, (dict, list)):
            if depth + 1 > max_depth:
                return "too_deep"
            if isinstance(item, dict):
                stack.extend((key, depth) for key in item)
                item = item.values()
            stack.extend((child, depth + 1) for child in item)
    return None


class TagNamesField(serializers.ListField):
    child = serializers.CharField(max_length=64, allow_blank=False)

    def __init__(self, **kwargs):
        super().__init__(max_length=50, **kwargs)

    def to_representation(self, tags):
        return [tag.name for tag in tags.all()]  # prefetched by the selector


class ModelRecordSerializer(StrictFieldsMixin, serializers.Serializer):
    """A model record: product fields and model-details fields in one flat object."""

    def get_fields(self):
        fields = {
            "id": serializers.UUIDField(read_only=True, help_text="The product id."),
            "space": serializers.CharField(source="space.slug", read_only=True, help_text="The space's slug."),
            "organization": serializers.CharField(
                source="space.organization.slug", read_only=True, help_text="The organization's slug."
            ),
        }
        fields.update(_ProductFieldsSerializer().get_fields())
        for name, field in _ModelDetailsFieldsSerializer().get_fields().items():
            field_class = JSONObjectField if isinstance(field, serializers.JSONField) else type(field)
            fields[name] = field_class(*field._args, **{**field._kwargs, "source": f"model_details.{name}"})
        fields["tags"] = TagNamesField(required=False, help_text="Tag names (replaces all tags when sent).")
        fields["created_at"] = serializers.DateTimeField(read_only=True)
        fields["updated_at"] = serializers.DateTimeField(read_only=True)
        fields["summary"] = RepositorySummaryField()
        for name, field in fields.items():
            if isinstance(field, ChoiceField) and name != "product_type":
                field.error_messages["invalid_choice"] = choice_error(field.choices)
        return fields

    def to_representation(self, product):
        try:
            product.model_details
        except ModelDetails.DoesNotExist:
            # A record whose details were never saved shows the defaults.
            product.model_details = ModelDetails(product=product)
        return super().to_representation(product)

    def record_data(self) -> tuple[dict, list | None]:
        """The validated input as the services take it: (flat record fields, tag names or None)."""
        data = dict(self.validated_data)
        details = data.pop("model_details", {})
        tags = data.pop("tags", None)
        return {**data, **details}, tags
