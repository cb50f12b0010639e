from rest_framework import serializers

from catalog.models import QualityCheck, QualityResult, QualitySeverity


class QualityResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = QualityResult
        fields = ["id", "status", "value", "message", "fix", "executed_at"]
        read_only_fields = fields


class QualityCheckSerializer(serializers.ModelSerializer):
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
