"""API of a record's training runs: thin views, guard clauses first. Serializers check shape
only; modelrepo.training enforces the domain rules (visibility of dataset products, URI form,
ended ≥ started, unique names) and checks ``edit`` on writes (view-only answers 403)."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers

from common.api.schema import responses, uuid_path_parameter
from common.api.serializers import BoundedJSONField, StrictFieldsMixin, username
from modelrepo import training
from modelrepo.api.records import PRODUCT_ID, RecordView
from modelrepo.api.versions import VersionReferenceSerializer
from modelrepo.models import TrainingRun


class DatasetProductSerializer(serializers.Serializer):
    """A catalog product a run was trained on. Products the caller cannot view are
    ``{"id": null, "name": null, "redacted": true}``."""

    id = serializers.UUIDField(allow_null=True)
    name = serializers.CharField(allow_null=True)
    redacted = serializers.BooleanField()


class _TrainingRunListSerializer(serializers.ListSerializer):
    """A page of runs looks up the catalog products of all its runs at once, not run by run."""

    def to_representation(self, runs):
        self.context["dataset_products"] = training.dataset_products_of(runs, self.context["request"].user)
        return super().to_representation(runs)


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

    class Meta:
        list_serializer_class = _TrainingRunListSerializer

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
        return username(run.created_by)


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
    hyperparameters = BoundedJSONField(required=False, help_text='A JSON object, e.g. `{"learning_rate": 0.001}`.')
    metrics = BoundedJSONField(required=False, help_text='A JSON object, e.g. `{"accuracy": 0.91}`.')
    environment = BoundedJSONField(
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


_RUN_ID = uuid_path_parameter("run_id", "The training run's id.")
_RUNS = ["training runs"]
_WRITE_RULES = (
    "`name` is required on create and unique in the record; `ended_at` must be at or after `started_at`; "
    "`hyperparameters`, `metrics` and `environment` are JSON objects; `dataset_uris` holds up to 100 absolute URIs "
    "with a scheme, each at most 2000 characters (recorded, never fetched); `code_commit` is 7 to 64 hex "
    "characters; `dataset_product_ids` name catalog products you can view (a missing product and one you cannot "
    "view get the same 400). Every invalid field is named in `details`."
)


class _TrainingRunView(RecordView):
    serializer_class = TrainingRunSerializer
    queryset = TrainingRun.objects.none()  # the schema's model; requests use modelrepo.training

    def run(self, product, run_id=None) -> TrainingRun:
        return training.training_run_get(product=product, run_id=run_id or self.kwargs["run_id"])


class TrainingRunListView(_TrainingRunView):
    @extend_schema(
        tags=_RUNS, summary="List a record's training runs (newest first)",
        description="Linked catalog products you cannot view appear as `{\"id\": null, \"name\": null, "
        "\"redacted\": true}`.",
        parameters=[PRODUCT_ID], responses=responses({200: TrainingRunSerializer(many=True)}, 404),
    )
    def get(self, request, product_id):
        return self.answer_page(training.training_run_list(product=self.record()))

    @extend_schema(
        tags=_RUNS, summary="Record a training run", description=_WRITE_RULES,
        parameters=[PRODUCT_ID], request=TrainingRunWriteSerializer,
        responses=responses({201: TrainingRunSerializer}, 400, 403, 404),
    )
    def post(self, request, product_id):
        product = self.editable_record()
        data = self.valid_body(TrainingRunWriteSerializer)
        run = training.training_run_create(actor=request.user, product=product, data=data)
        location = reverse("modelrepo-api:training_run", kwargs={"product_id": product.pk, "run_id": run.pk})
        return self.created(self.run(product, run.pk), location=location)


class TrainingRunDetailView(_TrainingRunView):
    @extend_schema(
        tags=_RUNS, summary="One training run", parameters=[PRODUCT_ID, _RUN_ID],
        responses=responses({200: TrainingRunSerializer}, 404),
    )
    def get(self, request, product_id, run_id):
        return self.answer(self.run(self.record()))

    @extend_schema(
        tags=_RUNS, summary="Update a training run",
        description="Send any subset of the fields. " + _WRITE_RULES
        + " `dataset_product_ids` replaces the linked products you can view; links to products you cannot view "
        "are kept.",
        parameters=[PRODUCT_ID, _RUN_ID], request=TrainingRunWriteSerializer,
        responses=responses({200: TrainingRunSerializer}, 400, 403, 404),
    )
    def patch(self, request, product_id, run_id):
        product = self.editable_record()
        run = self.run(product)
        data = self.valid_body(TrainingRunWriteSerializer, partial=True)
        training.training_run_update(actor=request.user, product=product, run=run, data=data)
        return self.answer(self.run(product))

    @extend_schema(
        tags=_RUNS, summary="Delete a training run",
        description="Refused with 409 `training_run_in_use` while versions, active artifacts or open uploads "
        "name the run (`details` gives the counts).",
        parameters=[PRODUCT_ID, _RUN_ID], request=None,
        responses=responses({204: None}, 403, 404, 409),
    )
    def delete(self, request, product_id, run_id):
        product = self.editable_record()
        training.training_run_delete(actor=request.user, product=product, run=self.run(product))
        return self.no_content()
