"""API views of training runs and of the comparison of two versions: thin, guard clauses
first. The record is looked up through ``selectors.model_record_get`` (a record the caller
cannot view answers 404); writes go through modelrepo.training, which checks ``edit``
(view-only answers 403)."""

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from catalog.models import Product
from modelrepo import compare, selectors, training
from modelrepo.api.training_serializers import (
    TrainingRunSerializer,
    TrainingRunWriteSerializer,
    VersionComparisonSerializer,
)
from modelrepo.models import ModelVersion, TrainingRun
from common.api.schema import QarionAutoSchema, responses, uuid_path_parameter

_PRODUCT_ID = uuid_path_parameter("product_id", "The record's product id.")
_RUN_ID = uuid_path_parameter("run_id", "The training run's id.")
_RUNS = ["training runs"]
_VERSIONS = ["model versions"]


def _record(request, product_id) -> Product:
    return selectors.model_record_get(user=request.user, product_id=product_id)


def _editable_record(request, product_id) -> Product:
    return selectors.model_record_get_editable(user=request.user, product_id=product_id)


def _run_body(request, product, run_id) -> dict:
    run = training.training_run_get(product=product, run_id=run_id)
    return TrainingRunSerializer(run, context={"request": request}).data


class _RecordScopedView(generics.GenericAPIView):
    filter_backends = []
    schema = QarionAutoSchema()


_WRITE_RULES = (
    "`name` is required on create and unique in the record; `ended_at` must be at or after `started_at`; "
    "`hyperparameters`, `metrics` and `environment` are JSON objects; `dataset_uris` holds up to 100 absolute URIs "
    "with a scheme, each at most 2000 characters (recorded, never fetched); `code_commit` is 7 to 64 hex "
    "characters; `dataset_product_ids` name catalog products you can view (a missing product and one you cannot "
    "view get the same 400). Every invalid field is named in `details`."
)


class TrainingRunListView(_RecordScopedView):
    serializer_class = TrainingRunSerializer
    queryset = TrainingRun.objects.none()  # the schema's model; requests use modelrepo.training

    @extend_schema(
        tags=_RUNS, summary="List a record's training runs (newest first)",
        description="Linked catalog products you cannot view appear as `{\"id\": null, \"name\": null, "
        "\"redacted\": true}`.",
        parameters=[_PRODUCT_ID], responses=responses({200: TrainingRunSerializer(many=True)}, 404),
    )
    def get(self, request, product_id):
        product = _record(request, product_id)
        page = self.paginate_queryset(training.training_run_list(product=product))
        context = {"request": request, "dataset_products": training.dataset_products_of(page, request.user)}
        return self.get_paginated_response(TrainingRunSerializer(page, many=True, context=context).data)

    @extend_schema(
        tags=_RUNS, summary="Record a training run", description=_WRITE_RULES,
        parameters=[_PRODUCT_ID], request=TrainingRunWriteSerializer,
        responses=responses({201: TrainingRunSerializer}, 400, 403, 404),
    )
    def post(self, request, product_id):
        product = _editable_record(request, product_id)
        serializer = TrainingRunWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        run = training.training_run_create(actor=request.user, product=product, data=serializer.validated_data)
        location = reverse("training-api:training_run", kwargs={"product_id": product.pk, "run_id": run.pk})
        return Response(_run_body(request, product, run.pk), status=status.HTTP_201_CREATED,
                        headers={"Location": location})


class TrainingRunDetailView(_RecordScopedView):
    serializer_class = TrainingRunSerializer
    queryset = TrainingRun.objects.none()

    @extend_schema(
        tags=_RUNS, summary="One training run", parameters=[_PRODUCT_ID, _RUN_ID],
        responses=responses({200: TrainingRunSerializer}, 404),
    )
    def get(self, request, product_id, run_id):
        product = _record(request, product_id)
        return Response(_run_body(request, product, run_id))

    @extend_schema(
        tags=_RUNS, summary="Update a training run",
        description="Send any subset of the fields. " + _WRITE_RULES
        + " `dataset_product_ids` replaces the linked products you can view; links to products you cannot view "
        "are kept.",
        parameters=[_PRODUCT_ID, _RUN_ID], request=TrainingRunWriteSerializer,
        responses=responses({200: TrainingRunSerializer}, 400, 403, 404),
    )
    def patch(self, request, product_id, run_id):
        product = _editable_record(request, product_id)
        run = training.training_run_get(product=product, run_id=run_id)
        serializer = TrainingRunWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        training.training_run_update(actor=request.user, product=product, run=run, data=serializer.validated_data)
        return Response(_run_body(request, product, run_id))

    @extend_schema(
        tags=_RUNS, summary="Delete a training run",
        description="Refused with 409 `training_run_in_use` while versions, active artifacts or open uploads "
        "name the run (`details` gives the counts).",
        parameters=[_PRODUCT_ID, _RUN_ID], request=None,
        responses=responses({204: None}, 403, 404, 409),
    )
    def delete(self, request, product_id, run_id):
        product = _editable_record(request, product_id)
        run = training.training_run_get(product=product, run_id=run_id)
        training.training_run_delete(actor=request.user, product=product, run=run)
        return Response(status=status.HTTP_204_NO_CONTENT)


class VersionCompareView(_RecordScopedView):
    serializer_class = VersionComparisonSerializer
    queryset = ModelVersion.objects.none()

    @extend_schema(
        tags=_VERSIONS, summary="Compare two versions",
        description="Metadata side by side with `changed` flags; metrics over the union of keys with `delta` "
        "(b − a) and `relative_change` for numbers; active artifacts matched by file name as `added`, `removed`, "
        "`changed` (sha256 differs) or `unchanged`; and the training runs with their hyperparameters and metrics "
        "compared the same way. A missing, malformed or foreign version id answers 400 naming `a` or `b`.",
        parameters=[
            _PRODUCT_ID,
            OpenApiParameter("a", OpenApiTypes.UUID, OpenApiParameter.QUERY, required=True,
                             description="The version to compare from."),
            OpenApiParameter("b", OpenApiTypes.UUID, OpenApiParameter.QUERY, required=True,
                             description="The version to compare to; deltas are b − a."),
        ],
        responses=responses({200: VersionComparisonSerializer}, 400, 404),
    )
    def get(self, request, product_id):
        product = _record(request, product_id)
        a, b = compare.versions_to_compare(product=product, a=request.query_params.get("a"),
                                           b=request.query_params.get("b"))
        comparison = compare.version_comparison(product=product, a=a, b=b)
        return Response(VersionComparisonSerializer(comparison).data)
