"""API of model records. A record is ONE flat object with the product fields and the
model-details fields side by side (API.md). The fields are generated from the two models,
so their types, choices, lengths and validators (URLs, JSON objects, non-negative FLOP)
match the database and appear in the OpenAPI schema; the services enforce the domain rules.
The views are thin, guard clauses first: reads through the selectors, writes through the
services, filters through the one ModelRecordFilterSet.

RecordView is the base of every view under a record (versions, artifacts, training runs, ...)."""

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.fields import ChoiceField

from catalog import access
from catalog.api.scopes import OrganizationView, SpaceView, permitted
from catalog.choices import AI_PRODUCT_TYPES
from catalog.models import Product
from common.api.schema import responses, uuid_path_parameter
from common.api.serializers import JSONObjectField, StrictFieldsMixin, choice_error
from common.api.views import ApiView
from modelrepo import selectors, services
from modelrepo.filtersets import ModelRecordFilterSet
from modelrepo.models import ModelDetails
from modelrepo.services import DETAIL_FIELDS, PRODUCT_FIELDS

PRODUCT_ID = uuid_path_parameter("product_id", "The record's product id.")


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

    @staticmethod
    def record_data(validated_data) -> tuple[dict, list | None]:
        """The validated input as the services take it: (flat record fields, tag names or None)."""
        data = dict(validated_data)
        details = data.pop("model_details", {})
        tags = data.pop("tags", None)
        return {**data, **details}, tags


class RecordView(ApiView):
    """A view under ``catalog/products/<product_id>`` of a model record: ``record()`` to read
    it (404 when the caller cannot view it), ``editable_record()`` to change it (also 403 when
    they can view but not change it, before the body is read)."""

    def record(self) -> Product:
        return selectors.model_record_get(user=self.request.user, product_id=self.kwargs["product_id"])

    def editable_record(self) -> Product:
        return selectors.model_record_get_editable(user=self.request.user, product_id=self.kwargs["product_id"])


_LIST_DESCRIPTION = (
    "Filters take several comma-separated values (`?model_family=genai,foundation_model`). "
    "`archived` is `false` (default), `true` or `all`; `ordering` takes a field name, `-` for descending "
    "(`name`, `-updated_at`, ...). An invalid filter value answers 400 naming the parameter."
)
_SPACE_FILTER = OpenApiParameter(
    "space", OpenApiTypes.STR, OpenApiParameter.QUERY,
    description="Space slugs, comma-separated (organization scope).",
)


class _ModelRecordListView(ApiView):
    serializer_class = ModelRecordSerializer
    filterset_class = ModelRecordFilterSet
    queryset = Product.objects.none()  # the schema's model; requests use the selector

    def answer_records(self, records):
        page = self.paginate_queryset(self.filter_queryset(records))
        selectors.attach_summaries(page)  # a bounded number of queries for the whole page
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class SpaceModelRecordListView(SpaceView, _ModelRecordListView):
    @extend_schema(
        tags=["model records"],
        summary="List the model records of a space",
        description=_LIST_DESCRIPTION,
        responses=responses({200: ModelRecordSerializer(many=True)}, 400, 404),
    )
    def get(self, request, space_slug):
        return self.answer_records(selectors.model_record_list(user=request.user, space=self.space()))

    @extend_schema(
        tags=["model records"],
        summary="Create a model record",
        description="`name` is required; `product_type` defaults to `ml_model`; `slug` is derived from the name "
        "when absent. Refused with 400 `product_limit_reached` when the space is at its catalog product limit, "
        "and 400 `duplicate` when the name (case-insensitive) or slug is taken in the space.",
        request=ModelRecordSerializer,
        responses=responses({201: ModelRecordSerializer}, 400, 403, 404),
    )
    def post(self, request, space_slug):
        space = self.space()
        permitted(request.user, access.CREATE_PRODUCT, space,
                  f"You can view space {space.slug} but not create records in it; ask a space admin for editor access.")
        data, tags = ModelRecordSerializer.record_data(self.valid_body(ModelRecordSerializer))
        product = services.model_record_create(actor=request.user, space=space, data=data, tags=tags)
        record = selectors.model_record_get(user=request.user, product_id=product.pk)
        return self.created(record, location=reverse("modelrepo-api:model_record", kwargs={"product_id": product.pk}))


class OrganizationModelRecordListView(OrganizationView, _ModelRecordListView):
    @extend_schema(
        tags=["model records"],
        summary="List model records across the organization's spaces you can view",
        description=_LIST_DESCRIPTION + " Records of spaces you cannot view never appear.",
        parameters=[_SPACE_FILTER],
        responses=responses({200: ModelRecordSerializer(many=True)}, 400, 404),
    )
    def get(self, request, org_slug):
        return self.answer_records(selectors.model_record_list(user=request.user, organization=self.organization()))


class ModelRecordDetailView(RecordView):
    serializer_class = ModelRecordSerializer

    @extend_schema(
        tags=["model records"],
        summary="One model record with its repository summary",
        parameters=[PRODUCT_ID],
        responses=responses({200: ModelRecordSerializer}, 404),
    )
    def get(self, request, product_id):
        return self.answer(self.record())

    @extend_schema(
        tags=["model records"],
        summary="Update a model record",
        description="Send any subset of the fields; `tags`, when sent, replaces all tags. "
        "Fields the space's change policy governs may need an approved change request.",
        parameters=[PRODUCT_ID],
        request=ModelRecordSerializer,
        responses=responses({200: ModelRecordSerializer}, 400, 403, 404),
    )
    def patch(self, request, product_id):
        record = self.editable_record()
        data, tags = ModelRecordSerializer.record_data(
            self.valid_body(ModelRecordSerializer, instance=record, partial=True))
        services.model_record_update(actor=request.user, product=record, data=data, tags=tags)
        return self.answer(self.record())
