"""API views of model records: thin, guard clauses first; reads through the selectors,
writes through the services, filters through the one ModelRecordFilterSet."""

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from catalog.api.scopes import member_organization, visible_space
from catalog.models import Product
from catalog import access
from modelrepo import selectors, services
from modelrepo.api.serializers import ModelRecordSerializer
from modelrepo.filtersets import ModelRecordFilterSet
from common.api.schema import QarionAutoSchema, responses, uuid_path_parameter
from common.errors import PermissionDenied

_LIST_DESCRIPTION = (
    "Filters take several comma-separated values (`?model_family=genai,foundation_model`). "
    "`archived` is `false` (default), `true` or `all`; `ordering` takes a field name, `-` for descending "
    "(`name`, `-updated_at`, ...). An invalid filter value answers 400 naming the parameter."
)
_SPACE_FILTER = OpenApiParameter(
    "space", OpenApiTypes.STR, OpenApiParameter.QUERY,
    description="Space slugs, comma-separated (organization scope).",
)


class _ModelRecordListBase(generics.GenericAPIView):
    schema = QarionAutoSchema()
    serializer_class = ModelRecordSerializer
    filterset_class = ModelRecordFilterSet
    queryset = Product.objects.none()  # the schema's model; requests use the selector

    def _page(self, records):
        page = self.paginate_queryset(self.filter_queryset(records))
        selectors.attach_summaries(page)  # a bounded number of queries for the whole page
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class SpaceModelRecordListView(_ModelRecordListBase):
    @extend_schema(
        tags=["model records"],
        summary="List the model records of a space",
        description=_LIST_DESCRIPTION,
        responses=responses({200: ModelRecordSerializer(many=True)}, 400, 404),
    )
    def get(self, request, space_slug):
        space = visible_space(request.user, space_slug)
        return self._page(selectors.model_record_list(user=request.user, space=space))

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
        space = visible_space(request.user, space_slug)
        if not access.can(request.user, access.CREATE_PRODUCT, space):
            raise PermissionDenied(
                f"You can view space {space.slug} but not create records in it; ask a space admin for editor access."
            )
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data, tags = serializer.record_data()
        product = services.model_record_create(actor=request.user, space=space, data=data, tags=tags)
        record = selectors.model_record_get(user=request.user, product_id=product.pk)
        location = reverse("modelrepo-api:model_record", kwargs={"product_id": product.pk})
        return Response(self.get_serializer(record).data, status=status.HTTP_201_CREATED, headers={"Location": location})


class OrganizationModelRecordListView(_ModelRecordListBase):
    @extend_schema(
        tags=["model records"],
        summary="List model records across the organization's spaces you can view",
        description=_LIST_DESCRIPTION + " Records of spaces you cannot view never appear.",
        parameters=[_SPACE_FILTER],
        responses=responses({200: ModelRecordSerializer(many=True)}, 400, 404),
    )
    def get(self, request, org_slug):
        organization = member_organization(request.user, org_slug)
        return self._page(selectors.model_record_list(user=request.user, organization=organization))


_PRODUCT_ID = uuid_path_parameter("product_id", "The record's product id.")


class ModelRecordDetailView(generics.GenericAPIView):
    schema = QarionAutoSchema()
    serializer_class = ModelRecordSerializer
    queryset = Product.objects.none()
    filter_backends = []

    @extend_schema(
        tags=["model records"],
        summary="One model record with its repository summary",
        parameters=[_PRODUCT_ID],
        responses=responses({200: ModelRecordSerializer}, 404),
    )
    def get(self, request, product_id):
        record = selectors.model_record_get(user=request.user, product_id=product_id)
        return Response(self.get_serializer(record).data)

    @extend_schema(
        tags=["model records"],
        summary="Update a model record",
        description="Send any subset of the fields; `tags`, when sent, replaces all tags. "
        "Fields the space's change policy governs may need an approved change request.",
        parameters=[_PRODUCT_ID],
        request=ModelRecordSerializer,
        responses=responses({200: ModelRecordSerializer}, 400, 403, 404),
    )
    def patch(self, request, product_id):
        record = selectors.model_record_get(user=request.user, product_id=product_id)
        if not access.can(request.user, access.EDIT, record):
            raise PermissionDenied("You can view this record but not change it; ask a space admin or the record's owner.")
        serializer = self.get_serializer(record, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data, tags = serializer.record_data()
        services.model_record_update(actor=request.user, product=record, data=data, tags=tags)
        record = selectors.model_record_get(user=request.user, product_id=product_id)
        return Response(self.get_serializer(record).data)
