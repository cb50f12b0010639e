"""API of spaces: the organization's space directory and one space with its counts."""

from django.db.models import Count, Q
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from catalog import access
from catalog.api.scopes import OrganizationView, SpaceView
from catalog.choices import AI_PRODUCT_TYPES
from catalog.models import Product, Space
from common.api.schema import responses


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


class OrganizationSpaceListView(OrganizationView):
    serializer_class = SpaceDirectoryEntrySerializer

    @extend_schema(
        tags=["spaces"],
        summary="The organization's space directory",
        description="Every space of the organization by name, with `can_view` saying whether you can see its "
        "contents (ask a space admin for access to the others). Organization members only.",
        responses=responses({200: SpaceDirectoryEntrySerializer(many=True)}, 404),
    )
    def get(self, request, org_slug):
        organization = self.organization()
        spaces = Space.objects.filter(organization=organization).order_by("name", "slug")
        visible_ids = set(access.visible_spaces(request.user, organization).values_list("pk", flat=True))
        return self.answer_page(spaces, visible_space_ids=visible_ids)


class SpaceDetailView(SpaceView):
    serializer_class = SpaceSerializer

    @extend_schema(
        tags=["spaces"],
        summary="One space with its counts",
        responses=responses({200: SpaceSerializer}, 404),
    )
    def get(self, request, space_slug):
        space = self.space()
        records = access.restrict(Product.objects.filter(space=space, product_type__in=AI_PRODUCT_TYPES), request.user)
        counts = records.aggregate(
            model_records=Count("pk", filter=Q(is_archived=False)),
            archived_model_records=Count("pk", filter=Q(is_archived=True)),
        )
        space.model_records = counts["model_records"]
        space.archived_model_records = counts["archived_model_records"]
        space.active_products = Product.objects.filter(space=space, is_archived=False).count()
        return self.answer(space, can_create_records=access.can(request.user, access.CREATE_PRODUCT, space))
