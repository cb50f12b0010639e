"""Shapes of training runs and version comparisons in the API. Serializers check shape only;
modelrepo.training enforces the domain rules (visibility of dataset products, URI form,
ended ≥ started, unique names)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common.api.serializers import StrictFieldsMixin
from modelrepo import training


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


class DatasetProductSerializer(serializers.Serializer):
    """A catalog product a run was trained on. Products the caller cannot view are
    ``{"id": null, "name": null, "redacted": true}``."""

    id = serializers.UUIDField(allow_null=True)
    name = serializers.CharField(allow_null=True)
    redacted = serializers.BooleanField()


class VersionReferenceSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    label = serializers.CharField()


class TrainingRunSerializer(serializers.Serializer):
    """A training run. ``versions`` are the versions that name it; ``artifact_count`` counts
    its active artifacts."""

    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    started_at = serializers.DateTimeField(read_only=True, allow_null=True)
    ended_at = serializers.DateTimeField(read_only=True, allow_null=True)
    duration_seconds = serializers.SerializerMethodField(help_text="ended_at − started_at, when both are set.")
    hyperparameters = serializers.JSONField(read_only=True)
    metrics = serializers.JSONField(read_only=True)
    environment = serializers.JSONField(read_only=True, help_text="Framework versions, hardware, …")
    dataset_products = serializers.SerializerMethodField()
    dataset_uris = serializers.ListField(child=serializers.CharField(), read_only=True)
    code_repository = serializers.CharField(read_only=True)
    code_commit = serializers.CharField(read_only=True)
    notes = serializers.CharField(read_only=True)
    versions = serializers.SerializerMethodField()
    artifact_count = serializers.IntegerField(read_only=True)
    created_by = serializers.SerializerMethodField(help_text="Username of who recorded it.")
    created_at = serializers.DateTimeField(read_only=True)

    def get_duration_seconds(self, run) -> float | None:
        if run.started_at and run.ended_at:
            return (run.ended_at - run.started_at).total_seconds()
        return None

    def get_dataset_products(self, run) -> DatasetProductSerializer(many=True):
        datasets = self.context.get("dataset_products")
        if datasets is None:
            datasets = training.dataset_products_of([run], self.context["request"].user)
        return DatasetProductSerializer(datasets.get(run.pk, []), many=True).data

    def get_versions(self, run) -> VersionReferenceSerializer(many=True):
        return [{"id": v.pk, "label": v.label} for v in sorted(run.versions.all(), key=lambda v: (v.created_at, v.pk))]

    def get_created_by(self, run) -> str | None:
        return _username(run.created_by)


@extend_schema_field(OpenApiTypes.UUID)
class ProductIdField(serializers.CharField):
    """A product id, checked by the service: a malformed id gets the same answer as a missing
    or invisible product."""

    def __init__(self, **kwargs):
        super().__init__(max_length=100, **kwargs)


class TrainingRunWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    """Create takes ``name`` (required, unique in the record) and any other field; PATCH takes
    any subset."""

    name = serializers.CharField(max_length=training.MAX_NAME_LENGTH, help_text="Unique in the record.")
    started_at = serializers.DateTimeField(required=False, allow_null=True)
    ended_at = serializers.DateTimeField(required=False, allow_null=True, help_text="At or after started_at.")
    hyperparameters = serializers.JSONField(required=False, help_text='A JSON object, e.g. `{"learning_rate": 0.001}`.')
    metrics = serializers.JSONField(required=False, help_text='A JSON object, e.g. `{"accuracy": 0.91}`.')
    environment = serializers.JSONField(
        required=False, help_text='A JSON object of framework versions and hardware, e.g. `{"torch": "2.4.1", "gpu": "A100"}`.'
    )
    dataset_product_ids = serializers.ListField(
        child=ProductIdField(), required=False,
        help_text="Ids of catalog products you can view (any type). Replaces the products you can view; links "
        "to products you cannot view are kept. A missing product and one you cannot view get the same 400.",
    )
    dataset_uris = serializers.ListField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False), required=False,
        help_text=f"Up to {training.MAX_DATASET_URIS} absolute URIs with a scheme (s3://, https://, hf://, …), each "
        f"at most {training.MAX_URI_LENGTH} characters. Recorded, never fetched.",
    )
    code_repository = serializers.CharField(required=False, allow_blank=True,
                                            max_length=training.MAX_CODE_REPOSITORY_LENGTH)
    code_commit = serializers.CharField(required=False, allow_blank=True, max_length=64,
                                        help_text="7 to 64 hexadecimal characters.")
    notes = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False,
                                  max_length=training.MAX_NOTES_LENGTH)

    def _object(self, value, example):
        if not isinstance(value, dict):
            raise serializers.ValidationError(f"Must be a JSON object, such as {example}.")
        return value

    def validate_hyperparameters(self, value):
        return self._object(value, training._EXAMPLES["hyperparameters"])

    def validate_metrics(self, value):
        return self._object(value, training._EXAMPLES["metrics"])

    def validate_environment(self, value):
        return self._object(value, training._EXAMPLES["environment"])


# --- Comparison --------------------------------------------------------------------------

class ComparedVersionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    label = serializers.CharField()


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
