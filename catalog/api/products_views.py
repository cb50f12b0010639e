"""API of a space's data products: list and create, through catalog.products."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from catalog import products
from catalog.api.lookups import visible_space
from catalog.api.products_serializers import DataProductCreateSerializer, DataProductSerializer
from catalog.models import Product
from common.api.schema import QarionAutoSchema, responses


class DataProductListView(generics.GenericAPIView):
    schema = QarionAutoSchema()
    serializer_class = DataProductSerializer
    queryset = Product.objects.none()
    filter_backends = []

    @extend_schema(tags=["data products"], summary="The space's data products (not model records)",
                   responses=responses({200: DataProductSerializer(many=True)}, 404))
    def get(self, request, space_slug):
        space = visible_space(request.user, space_slug)
        page = self.paginate_queryset(products.data_product_list(user=request.user, space=space))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(tags=["data products"], summary="Create a data product",
                   description="Space editors and admins. Types: dataset, table, data_stream, dashboard, api, "
                   "notebook, other.",
                   request=DataProductCreateSerializer, responses=responses({201: DataProductSerializer}, 400, 403, 404))
    def post(self, request, space_slug):
        space = visible_space(request.user, space_slug)
        body = DataProductCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        tags = data.pop("tags", None)
        product = products.data_product_create(actor=request.user, space=space, data=data, tags=tags)
        return Response(DataProductSerializer(product).data, status=status.HTTP_201_CREATED)
