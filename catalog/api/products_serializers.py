"""Shapes of data products in the API."""

from rest_framework import serializers

from catalog.api.serializers import StrictFieldsMixin, choice_error
from catalog.choices import DATA_PRODUCT_TYPES, Criticality, Sensitivity
from catalog.models import Product


class DataProductSerializer(serializers.ModelSerializer):
    space = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)

    class Meta:
        model = Product
        fields = ["id", "space", "product_type", "name", "slug", "description", "documentation", "provider",
                  "hosting_location", "criticality", "sensitivity", "tags", "is_archived", "created_at",
                  "updated_at"]
        read_only_fields = fields


class DataProductCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    product_type = serializers.ChoiceField(
        choices=[(t.value, t.label) for t in DATA_PRODUCT_TYPES],
        error_messages={"invalid_choice": choice_error([t.value for t in DATA_PRODUCT_TYPES])},
    )
    name = serializers.CharField(max_length=200)
    slug = serializers.CharField(max_length=100, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    documentation = serializers.CharField(required=False, allow_blank=True, help_text="Markdown.")
    provider = serializers.CharField(max_length=200, required=False, allow_blank=True)
    hosting_location = serializers.CharField(max_length=200, required=False, allow_blank=True)
    criticality = serializers.ChoiceField(choices=Criticality.choices, required=False,
                                          error_messages={"invalid_choice": choice_error(Criticality.values)})
    sensitivity = serializers.ChoiceField(choices=Sensitivity.choices, required=False,
                                          error_messages={"invalid_choice": choice_error(Sensitivity.values)})
    tags = serializers.ListField(child=serializers.CharField(max_length=64), required=False, max_length=50)
