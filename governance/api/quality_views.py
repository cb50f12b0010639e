"""API of quality checks: a product's health and checks, running the built-in checks, custom
checks and the results automation posts. Thin views over governance.quality."""

from catalog import health

from catalog import selectors as catalog_selectors
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from governance import quality
from governance.api.quality_serializers import (
    ProductHealthSerializer,
    QualityCheckCreateSerializer,
    QualityCheckSerializer,
    QualityResultCreateSerializer,
    QualityResultSerializer,
)
from catalog.models import QualityCheck
from common.api.schema import QarionAutoSchema, responses, uuid_path_parameter

_PRODUCT_ID = uuid_path_parameter("product_id", "The product's id.")
_CHECK_ID = uuid_path_parameter("check_id", "The quality check's id.")


def health_body(product) -> dict:
    failing = [{"check_ref_obj": row["check"], "result": row["result"], "fix_url": row["fix_url"]}
               for row in quality.failing_checks(product)]
    return ProductHealthSerializer({"health": health.health_score(product),
                                    "checks": quality.check_list(product=product), "failing": failing}).data


class ProductQualityView(generics.GenericAPIView):
    schema = QarionAutoSchema()
    serializer_class = ProductHealthSerializer
    queryset = QualityCheck.objects.none()
    filter_backends = []
    pagination_class = None

    @extend_schema(tags=["quality"], summary="The product's health score, checks and failing checks",
                   parameters=[_PRODUCT_ID], responses=responses({200: ProductHealthSerializer}, 404))
    def get(self, request, product_id):
        product = catalog_selectors.visible_product(user=request.user, product_id=product_id)
        return Response(health_body(product))


class ProductQualityRunView(generics.GenericAPIView):
    schema = QarionAutoSchema()
    serializer_class = ProductHealthSerializer
    queryset = QualityCheck.objects.none()
    filter_backends = []

    @extend_schema(tags=["quality"], summary="Run the built-in checks now",
                   description="Needs edit access. Appends one result per enabled built-in check and answers the "
                   "new health.", parameters=[_PRODUCT_ID], request=None,
                   responses=responses({200: ProductHealthSerializer}, 403, 404))
    def post(self, request, product_id):
        product = catalog_selectors.visible_product(user=request.user, product_id=product_id)
        quality.checks_run_on_demand(actor=request.user, product=product)
        return Response(health_body(product))


class ProductQualityCheckListView(generics.GenericAPIView):
    schema = QarionAutoSchema()
    serializer_class = QualityCheckSerializer
    queryset = QualityCheck.objects.none()
    filter_backends = []

    @extend_schema(tags=["quality"], summary="The product's quality checks", parameters=[_PRODUCT_ID],
                   responses=responses({200: QualityCheckSerializer(many=True)}, 404))
    def get(self, request, product_id):
        product = catalog_selectors.visible_product(user=request.user, product_id=product_id)
        page = self.paginate_queryset(quality.check_list(product=product))
        return self.get_paginated_response(QualityCheckSerializer(page, many=True).data)

    @extend_schema(tags=["quality"], summary="Declare a custom check",
                   description="Needs edit access. Automation then posts its results to the check's results.",
                   parameters=[_PRODUCT_ID], request=QualityCheckCreateSerializer,
                   responses=responses({201: QualityCheckSerializer}, 400, 403, 404))
    def post(self, request, product_id):
        product = catalog_selectors.visible_product(user=request.user, product_id=product_id)
        body = QualityCheckCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        check = quality.custom_check_create(actor=request.user, product=product, **body.validated_data)
        return Response(QualityCheckSerializer(check).data, status=status.HTTP_201_CREATED)


class QualityResultListView(generics.GenericAPIView):
    schema = QarionAutoSchema()
    serializer_class = QualityResultSerializer
    queryset = QualityCheck.objects.none()
    filter_backends = []

    @extend_schema(tags=["quality"], summary="A check's results, newest first", parameters=[_CHECK_ID],
                   responses=responses({200: QualityResultSerializer(many=True)}, 404))
    def get(self, request, check_id):
        check = quality.check_for(user=request.user, check_id=check_id)
        page = self.paginate_queryset(quality.result_list(check=check))
        return self.get_paginated_response(QualityResultSerializer(page, many=True).data)

    @extend_schema(tags=["quality"], summary="Post a result",
                   description="Needs edit access on the product. `status` is `passed`, `failed` or `error`; "
                   "anything else is refused with 400 `validation_error`. Every result is kept.",
                   parameters=[_CHECK_ID], request=QualityResultCreateSerializer,
                   responses=responses({201: QualityResultSerializer}, 400, 403, 404))
    def post(self, request, check_id):
        check = quality.check_for(user=request.user, check_id=check_id)
        body = QualityResultCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = quality.result_post(actor=request.user, check=check, **body.validated_data)
        return Response(QualityResultSerializer(result).data, status=status.HTTP_201_CREATED)
