"""API of the comparison of two versions of a record (modelrepo.compare)."""

from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import serializers

from common.api.schema import responses
from modelrepo import compare
from modelrepo.api.records import PRODUCT_ID, RecordView
from modelrepo.api.versions import VersionReferenceSerializer


class ComparedVersionSerializer(VersionReferenceSerializer):
    pass  # the same fields, under its own name in the schema


class MetadataRowSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    a = serializers.JSONField(allow_null=True)
    b = serializers.JSONField(allow_null=True)
    changed = serializers.BooleanField()


class ValueDiffSerializer(serializers.Serializer):
    """One key of a metrics or hyperparameters object in both versions. For two numbers,
    ``delta`` is b − a and ``relative_change`` is delta / |a| (null when a is 0); otherwise
    both are null and ``changed`` says whether the values differ."""

    name = serializers.CharField()
    a = serializers.JSONField(allow_null=True, help_text="Null when absent (see a_present).")
    b = serializers.JSONField(allow_null=True)
    a_present = serializers.BooleanField()
    b_present = serializers.BooleanField()
    numeric = serializers.BooleanField()
    delta = serializers.FloatField(allow_null=True)
    relative_change = serializers.FloatField(allow_null=True, help_text="A fraction: 0.0625 is +6.25 %.")
    changed = serializers.BooleanField()


class ArtifactSideSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    sha256 = serializers.CharField()
    size_bytes = serializers.IntegerField()
    kind = serializers.CharField()
    detected_format = serializers.CharField()


class ArtifactDiffSerializer(serializers.Serializer):
    file_name = serializers.CharField()
    status = serializers.ChoiceField(choices=[(s, s) for s in ("added", "removed", "changed", "unchanged")],
                                     help_text="`changed` when the sha256 differs.")
    a = ArtifactSideSerializer(allow_null=True)
    b = ArtifactSideSerializer(allow_null=True)
    size_delta = serializers.IntegerField(allow_null=True)


class RunSideSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    started_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    code_repository = serializers.CharField()
    code_commit = serializers.CharField()


class TrainingRunComparisonSerializer(serializers.Serializer):
    a = RunSideSerializer(allow_null=True)
    b = RunSideSerializer(allow_null=True)
    same_run = serializers.BooleanField()
    hyperparameters = ValueDiffSerializer(many=True)
    metrics = ValueDiffSerializer(many=True)


class ArtifactCountsSerializer(serializers.Serializer):
    added = serializers.IntegerField()
    removed = serializers.IntegerField()
    changed = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class VersionComparisonSerializer(serializers.Serializer):
    a = ComparedVersionSerializer()
    b = ComparedVersionSerializer()
    metadata = MetadataRowSerializer(many=True)
    metrics = ValueDiffSerializer(many=True)
    artifacts = ArtifactDiffSerializer(many=True)
    artifact_counts = ArtifactCountsSerializer()
    training_runs = TrainingRunComparisonSerializer()


class VersionCompareView(RecordView):
    serializer_class = VersionComparisonSerializer

    @extend_schema(
        tags=["model versions"], summary="Compare two versions",
        description="Metadata side by side with `changed` flags; metrics over the union of keys with `delta` "
        "(b − a) and `relative_change` for numbers; active artifacts matched by file name as `added`, `removed`, "
        "`changed` (sha256 differs) or `unchanged`; and the training runs with their hyperparameters and metrics "
        "compared the same way. A missing, malformed or foreign version id answers 400 naming `a` or `b`.",
        parameters=[
            PRODUCT_ID,
            OpenApiParameter("a", OpenApiTypes.UUID, OpenApiParameter.QUERY, required=True,
                             description="The version to compare from."),
            OpenApiParameter("b", OpenApiTypes.UUID, OpenApiParameter.QUERY, required=True,
                             description="The version to compare to; deltas are b − a."),
        ],
        responses=responses({200: VersionComparisonSerializer}, 400, 404),
    )
    def get(self, request, product_id):
        product = self.record()
        a, b = compare.versions_to_compare(product=product, a=request.query_params.get("a"),
                                           b=request.query_params.get("b"))
        return self.answer(compare.version_comparison(product=product, a=a, b=b))
