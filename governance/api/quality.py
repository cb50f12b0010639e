"""API of quality checks: a product's health and checks, running the built-in checks, custom
checks and the results automation posts. Thin views over governance.quality."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from catalog import health
from catalog.api.scopes import PRODUCT_ID, ProductView
from catalog.models import QualityCheck, QualityResult, QualitySeverity, QualityStatus
from common.api.schema import responses, uuid_path_parameter
from common.api.views import ApiView
from governance import quality


class QualityResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = QualityResult
        fields = ["id", "status", "value", "message", "fix", "executed_at"]
        read_only_fields = fields


class _StatusOrNull(serializers.ChoiceField):
    """The newest result's status, or null before the check first ran (stored as blank)."""

    def to_representation(self, value):
        return value or None


class QualityCheckSerializer(serializers.ModelSerializer):
    last_status = _StatusOrNull(choices=QualityStatus.choices, allow_null=True, read_only=True,
                                help_text="The newest result's status; null before the check first ran.")

    class Meta:
        model = QualityCheck
        fields = ["id", "name", "check_type", "severity", "description", "enabled", "last_status",
                  "last_executed_at", "created_at"]
        read_only_fields = fields


class QualityCheckCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    severity = serializers.ChoiceField(choices=QualitySeverity.choices, default=QualitySeverity.ERROR)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    enabled = serializers.BooleanField(required=False, default=True)


class QualityResultCreateSerializer(serializers.Serializer):
    # The status is checked by the service, so a bad value gets the same answer everywhere.
    status = serializers.CharField(max_length=16, help_text="`passed`, `failed` or `error`.")
    value = serializers.FloatField(required=False, allow_null=True, default=None)
    message = serializers.CharField(required=False, allow_blank=True, default="")


class FailingCheckSerializer(serializers.Serializer):
    check = QualityCheckSerializer(source="check_ref_obj")
    result = QualityResultSerializer(allow_null=True)
    fix_url = serializers.CharField(help_text="The page (and field anchor) where to fix it; may be empty.")


class ProductHealthSerializer(serializers.Serializer):
    health = serializers.IntegerField(allow_null=True, help_text="0–100: enabled checks whose latest result passed.")
    checks = QualityCheckSerializer(many=True)
    failing = FailingCheckSerializer(many=True)


_CHECK_ID = uuid_path_parameter("check_id", "The quality check's id.")


class _ProductHealthView(ProductView):
    """Answers the product's health: its score, its checks and the failing ones."""

    serializer_class = ProductHealthSerializer

    def answer_health(self, product):
        failing = [{"check_ref_obj": row["check"], "result": row["result"], "fix_url": row["fix_url"]}
                   for row in quality.failing_checks(product)]
        return self.answer({"health": health.health_score(product), "checks": quality.check_list(product=product),
                            "failing": failing})


class ProductQualityView(_ProductHealthView):
    @extend_schema(tags=["quality"], summary="The product's health score, checks and failing checks",
                   parameters=[PRODUCT_ID], responses=responses({200: ProductHealthSerializer}, 404))
    def get(self, request, product_id):
        return self.answer_health(self.product())


class ProductQualityRunView(_ProductHealthView):
    @extend_schema(tags=["quality"], summary="Run the built-in checks now",
                   description="Needs edit access. Appends one result per enabled built-in check and answers the "
                   "new health.", parameters=[PRODUCT_ID], request=None,
                   responses=responses({200: ProductHealthSerializer}, 403, 404))
    def post(self, request, product_id):
        product = self.product()
        quality.checks_run_on_demand(actor=request.user, product=product)
        return self.answer_health(product)


class ProductQualityCheckListView(ProductView):
    serializer_class = QualityCheckSerializer

    @extend_schema(tags=["quality"], summary="The product's quality checks", parameters=[PRODUCT_ID],
                   responses=responses({200: QualityCheckSerializer(many=True)}, 404))
    def get(self, request, product_id):
        return self.answer_page(quality.check_list(product=self.product()))

    @extend_schema(tags=["quality"], summary="Declare a custom check",
                   description="Needs edit access. Automation then posts its results to the check's results.",
                   parameters=[PRODUCT_ID], request=QualityCheckCreateSerializer,
                   responses=responses({201: QualityCheckSerializer}, 400, 403, 404))
    def post(self, request, product_id):
        product = self.product()
        body = self.valid_body(QualityCheckCreateSerializer)
        return self.created(quality.custom_check_create(actor=request.user, product=product, **body))


class QualityResultListView(ApiView):
    serializer_class = QualityResultSerializer

    def quality_check(self) -> QualityCheck:
        return quality.check_for(user=self.request.user, check_id=self.kwargs["check_id"])

    @extend_schema(tags=["quality"], summary="A check's results, newest first", parameters=[_CHECK_ID],
                   responses=responses({200: QualityResultSerializer(many=True)}, 404))
    def get(self, request, check_id):
        return self.answer_page(quality.result_list(check=self.quality_check()))

    @extend_schema(tags=["quality"], summary="Post a result",
                   description="Needs edit access on the product. `status` is `passed`, `failed` or `error`; "
                   "anything else is refused with 400 `validation_error`. Every result is kept.",
                   parameters=[_CHECK_ID], request=QualityResultCreateSerializer,
                   responses=responses({201: QualityResultSerializer}, 400, 403, 404))
    def post(self, request, check_id):
        check = self.quality_check()
        body = self.valid_body(QualityResultCreateSerializer)
        return self.created(quality.result_post(actor=request.user, check=check, **body))
