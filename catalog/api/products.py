"""API of a space's data products (every product type that is not a model record): list and
create, through catalog.products."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from catalog import products
from catalog.api.scopes import SpaceView
from catalog.choices import DATA_PRODUCT_TYPES, Criticality, Sensitivity
from catalog.models import Product
from common.api.schema import responses
from common.api.serializers import StrictFieldsMixin, choice_error


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


class DataProductListView(SpaceView):
    serializer_class = DataProductSerializer

    @extend_schema(tags=["data products"], summary="The space's data products (not model records)",
                   responses=responses({200: DataProductSerializer(many=True)}, 404))
    def get(self, request, space_slug):
        return self.answer_page(products.data_product_list(user=request.user, space=self.space()))

    @extend_schema(tags=["data products"], summary="Create a data product",
                   description="Space editors and admins. Types: dataset, table, data_stream, dashboard, api, "
                   "notebook, other.",
                   request=DataProductCreateSerializer, responses=responses({201: DataProductSerializer}, 400, 403, 404))
    def post(self, request, space_slug):
        space = self.space()
        data = dict(self.valid_body(DataProductCreateSerializer))
        tags = data.pop("tags", None)
        return self.created(products.data_product_create(actor=request.user, space=space, data=data, tags=tags))
