"""API views of versions, the current-version pointer, artifacts and downloads: thin, guard
clauses first. The record is looked up through ``selectors.model_record_get`` (a record the
caller cannot view answers 404); writes go through modelrepo.versions / modelrepo.artifacts,
which check ``edit`` (view-only answers 403)."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response

from catalog.models import Product
from modelrepo import artifacts as artifact_services
from modelrepo import downloads, selectors
from modelrepo import versions as version_services
from modelrepo.api.release_serializers import (
    ArtifactListQuerySerializer,
    ArtifactReferenceSerializer,
    ArtifactSerializer,
    CurrentVersionChangeSerializer,
    ReasonSerializer,
    RequiredReasonSerializer,
    VerifyReportSerializer,
    VersionSerializer,
    VersionWriteSerializer,
)
from modelrepo.models import Artifact, ModelVersion, TrainingRun
from common.api.schema import error_responses, responses, uuid_path_parameter
from common.errors import Conflict, invalid

_PRODUCT_ID = uuid_path_parameter("product_id", "The record's product id.")
_VERSION_ID = uuid_path_parameter("version_id", "The version's id.")
_ARTIFACT_ID = uuid_path_parameter("artifact_id", "The artifact's id.")
_VERSIONS = ["model versions"]
_ARTIFACTS = ["model artifacts"]


def _record(request, product_id) -> Product:
    return selectors.model_record_get(user=request.user, product_id=product_id)


def _editable_record(request, product_id) -> Product:
    return selectors.model_record_get_editable(user=request.user, product_id=product_id)


class _RecordScopedView(generics.GenericAPIView):
    filter_backends = []


# --- Versions ----------------------------------------------------------------------------

class VersionListView(_RecordScopedView):
    serializer_class = VersionSerializer
    queryset = ModelVersion.objects.none()  # the schema's model; requests use the selectors

    @extend_schema(
        tags=_VERSIONS, summary="List a record's versions (oldest first)", parameters=[_PRODUCT_ID],
        responses=responses({200: VersionSerializer(many=True)}, 404),
    )
    def get(self, request, product_id):
        product = _record(request, product_id)
        page = self.paginate_queryset(selectors.version_list(product=product))
        context = {**self.get_serializer_context(), "current_version_id": selectors.current_version_id(product)}
        return self.get_paginated_response(VersionSerializer(page, many=True, context=context).data)

    @extend_schema(
        tags=_VERSIONS, summary="Create a version",
        description="Creates a `draft` version. `label` is required and unique in the record (400 with "
        "`details.label` otherwise); `commit_sha` is 7 to 64 hex characters; `metrics` a JSON object; "
        "`training_run_id` must name a training run of the same record.",
        parameters=[_PRODUCT_ID], request=VersionWriteSerializer,
        responses=responses({201: VersionSerializer}, 400, 403, 404),
    )
    def post(self, request, product_id):
        product = _editable_record(request, product_id)
        serializer = VersionWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = version_services.version_create(actor=request.user, product=product, data=serializer.validated_data)
        version = selectors.version_get(product=product, version_id=version.pk)
        location = reverse("modelrepo-release-api:version", kwargs={"product_id": product.pk, "version_id": version.pk})
        context = {"current_version_id": selectors.current_version_id(product)}
        return Response(VersionSerializer(version, context=context).data, status=status.HTTP_201_CREATED,
                        headers={"Location": location})


def _version_body(product, version):
    return VersionSerializer(version, context={"current_version_id": selectors.current_version_id(product)}).data


class VersionDetailView(_RecordScopedView):
    serializer_class = VersionSerializer
    queryset = ModelVersion.objects.none()

    @extend_schema(
        tags=_VERSIONS, summary="One version", parameters=[_PRODUCT_ID, _VERSION_ID],
        responses=responses({200: VersionSerializer}, 404),
    )
    def get(self, request, product_id, version_id):
        product = _record(request, product_id)
        return Response(_version_body(product, selectors.version_get(product=product, version_id=version_id)))

    @extend_schema(
        tags=_VERSIONS, summary="Update a draft version",
        description="Send any subset of the fields. A released version is immutable: changing any field answers "
        "409 `version_released`.",
        parameters=[_PRODUCT_ID, _VERSION_ID], request=VersionWriteSerializer,
        responses=responses({200: VersionSerializer}, 400, 403, 404, 409),
    )
    def patch(self, request, product_id, version_id):
        product = _editable_record(request, product_id)
        version = selectors.version_get(product=product, version_id=version_id)
        serializer = VersionWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        version_services.version_update(actor=request.user, product=product, version=version,
                                        data=serializer.validated_data)
        return Response(_version_body(product, selectors.version_get(product=product, version_id=version_id)))


class VersionMakeCurrentView(_RecordScopedView):
    serializer_class = VersionSerializer
    queryset = ModelVersion.objects.none()

    @extend_schema(
        tags=_VERSIONS, summary="Make a version the record's current version",
        description="Moves the current-version pointer and records the move in the history (with `reason`). "
        "Making the current version current again changes nothing (200). A yanked version answers 409 "
        "`version_yanked`.",
        parameters=[_PRODUCT_ID, _VERSION_ID], request=ReasonSerializer,
        responses=responses({200: VersionSerializer}, 400, 403, 404, 409),
    )
    def post(self, request, product_id, version_id):
        product = _editable_record(request, product_id)
        version = selectors.version_get(product=product, version_id=version_id)
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version_services.version_make_current(actor=request.user, product=product, version=version,
                                              reason=serializer.validated_data.get("reason", ""))
        return Response(_version_body(product, selectors.version_get(product=product, version_id=version_id)))


class VersionRollbackView(_RecordScopedView):
    serializer_class = VersionSerializer
    queryset = ModelVersion.objects.none()

    @extend_schema(
        tags=_VERSIONS, summary="Roll the current version back one step",
        description="Makes current the version that was current before the present one (from the history). "
        "One step: rolling back twice returns to where you started. 409 `no_previous_version` when there is "
        "none, 409 `version_yanked` when it was yanked since. Answers the version now current.",
        parameters=[_PRODUCT_ID], request=ReasonSerializer,
        responses=responses({200: VersionSerializer}, 400, 403, 404, 409),
    )
    def post(self, request, product_id):
        product = _editable_record(request, product_id)
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        version = version_services.version_rollback(actor=request.user, product=product,
                                                    reason=serializer.validated_data.get("reason", ""))
        return Response(_version_body(product, selectors.version_get(product=product, version_id=version.pk)))


class VersionHistoryView(_RecordScopedView):
    serializer_class = CurrentVersionChangeSerializer
    queryset = ModelVersion.objects.none()

    @extend_schema(
        tags=_VERSIONS, summary="History of the current-version pointer (newest first)",
        parameters=[_PRODUCT_ID], responses=responses({200: CurrentVersionChangeSerializer(many=True)}, 404),
    )
    def get(self, request, product_id):
        product = _record(request, product_id)
        page = self.paginate_queryset(selectors.version_history(product=product))
        return self.get_paginated_response(CurrentVersionChangeSerializer(page, many=True).data)


# --- Artifacts ---------------------------------------------------------------------------

class ArtifactListView(_RecordScopedView):
    serializer_class = ArtifactSerializer
    queryset = Artifact.objects.none()

    @extend_schema(
        tags=_ARTIFACTS, summary="List a record's active artifacts (newest first)",
        description="Deleted artifacts never appear. Filters: `kind` (comma-separated), `version_id`, `is_current`.",
        parameters=[_PRODUCT_ID, ArtifactListQuerySerializer],
        responses=responses({200: ArtifactSerializer(many=True)}, 400, 404),
    )
    def get(self, request, product_id):
        product = _record(request, product_id)
        query = ArtifactListQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        artifacts = selectors.artifact_list(product=product, **query.validated_data)
        page = self.paginate_queryset(artifacts)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class ArtifactReferenceView(_RecordScopedView):
    serializer_class = ArtifactSerializer
    queryset = Artifact.objects.none()

    @extend_schema(
        tags=_ARTIFACTS, summary="Register an external artifact",
        description="Records a file stored elsewhere (`upload_status: external`). The server checks the URI's "
        "shape (scheme one of https, http, s3, gs, hf, az, abfs, abfss; no credentials) and never fetches it. "
        "Downloads of an http(s) reference answer 302 to the URI. 409 `version_released` for a released "
        "version, 409 `duplicate_file_name` when the version already has a file of that name.",
        parameters=[_PRODUCT_ID], request=ArtifactReferenceSerializer,
        responses=responses({201: ArtifactSerializer}, 400, 403, 404, 409),
    )
    def post(self, request, product_id):
        product = _editable_record(request, product_id)
        serializer = ArtifactReferenceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = _version_of(product, data.pop("version_id", None))
        training_run = _training_run_of(product, data.pop("training_run_id", None))
        artifact = artifact_services.artifact_register_reference(
            actor=request.user, product=product, version=version, training_run=training_run, **data
        )
        artifact = selectors.artifact_get(product=product, artifact_id=artifact.pk)
        location = reverse("modelrepo-release-api:artifact",
                           kwargs={"product_id": product.pk, "artifact_id": artifact.pk})
        return Response(self.get_serializer(artifact).data, status=status.HTTP_201_CREATED,
                        headers={"Location": location})


def _version_of(product, version_id):
    if version_id is None:
        return None
    version = ModelVersion.objects.filter(product=product, pk=version_id).first()
    if version is None:
        raise invalid({"version_id": ["No version with this id exists on this record."]})
    return version


def _training_run_of(product, training_run_id):
    if training_run_id is None:
        return None
    run = TrainingRun.objects.filter(product=product, pk=training_run_id).first()
    if run is None:
        raise invalid({"training_run_id": ["No training run with this id exists on this record."]})
    return run


class ArtifactDetailView(_RecordScopedView):
    serializer_class = ArtifactSerializer
    queryset = Artifact.objects.none()

    @extend_schema(
        tags=_ARTIFACTS, summary="Artifact metadata", parameters=[_PRODUCT_ID, _ARTIFACT_ID],
        responses=responses({200: ArtifactSerializer}, 404),
    )
    def get(self, request, product_id, artifact_id):
        product = _record(request, product_id)
        return Response(self.get_serializer(selectors.artifact_get(product=product, artifact_id=artifact_id)).data)

    @extend_schema(
        tags=_ARTIFACTS, summary="Delete an artifact",
        description="Removes it from the active list (and clears it as current). The row stays for audit and its "
        "bytes are purged after the retention period. Artifacts of a released version answer 409 "
        "`version_released`.",
        parameters=[_PRODUCT_ID, _ARTIFACT_ID], request=None,
        responses=responses({204: None}, 403, 404, 409),
    )
    def delete(self, request, product_id, artifact_id):
        product = _editable_record(request, product_id)
        artifact = selectors.artifact_get(product=product, artifact_id=artifact_id)
        artifact_services.artifact_delete(actor=request.user, product=product, artifact=artifact)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ArtifactMakeCurrentView(_RecordScopedView):
    serializer_class = ArtifactSerializer
    queryset = Artifact.objects.none()

    @extend_schema(
        tags=_ARTIFACTS, summary="Mark an artifact current",
        description="One current artifact per record: the previous one stops being current. Marking the "
        "current artifact again changes nothing. A deleted artifact answers 404.",
        parameters=[_PRODUCT_ID, _ARTIFACT_ID], request=ReasonSerializer,
        responses=responses({200: ArtifactSerializer}, 400, 403, 404, 409),
    )
    def post(self, request, product_id, artifact_id):
        product = _editable_record(request, product_id)
        artifact = selectors.artifact_get(product=product, artifact_id=artifact_id)
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        artifact_services.artifact_make_current(actor=request.user, product=product, artifact=artifact,
                                                reason=serializer.validated_data.get("reason", ""))
        return Response(self.get_serializer(selectors.artifact_get(product=product, artifact_id=artifact_id)).data)


# --- Downloads ---------------------------------------------------------------------------

class AnyAcceptNegotiation(BaseContentNegotiation):
    """Never refuses a request for its Accept header: a download answers bytes whatever the
    client accepts (``application/octet-stream``, ``*/*``), and errors answer JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


_BINARY = OpenApiResponse(OpenApiTypes.BINARY, description="The file's bytes (a Range request answers 206).")


class ArtifactDownloadView(_RecordScopedView):
    content_negotiation_class = AnyAcceptNegotiation
    queryset = Artifact.objects.none()
    serializer_class = None

    @extend_schema(
        tags=_ARTIFACTS, summary="Download an artifact's bytes",
        description=(
            "Streams the file with `Content-Length`, `Content-Type`, `Content-Disposition: attachment`, "
            "`ETag: \"<sha256>\"`, `Repr-Digest: sha-256=:<base64>:` and `Accept-Ranges: bytes`.\n\n"
            "`Range: bytes=a-b`, `bytes=a-` or `bytes=-n` answers 206 with `Content-Range`; a range outside the "
            "file answers 416 with `Content-Range: bytes */<size>`. Several ranges in one header are answered "
            "with the whole file (200). `If-None-Match` with the ETag answers 304; `If-Range` with another ETag "
            "sends the whole file.\n\n"
            "Object storage answers 302 to a short-lived signed URL; an external http(s) reference answers 302 "
            "to its URI (other schemes answer 409 `artifact_external` with the URI in the message). Missing "
            "stored bytes answer 404 `artifact_bytes_missing`. One audit event per download: requests that "
            "start at byte 0 count, later ranges of the same download do not."
        ),
        parameters=[
            _PRODUCT_ID, _ARTIFACT_ID,
            OpenApiParameter("Range", OpenApiTypes.STR, OpenApiParameter.HEADER, description="`bytes=a-b`, `bytes=a-` or `bytes=-n`."),
            OpenApiParameter("If-None-Match", OpenApiTypes.STR, OpenApiParameter.HEADER),
            OpenApiParameter("If-Range", OpenApiTypes.STR, OpenApiParameter.HEADER),
        ],
        responses={
            (200, "application/octet-stream"): _BINARY,
            (206, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="The requested range."),
            302: OpenApiResponse(description="Redirect to object storage or to the external URI (`Location`)."),
            304: OpenApiResponse(description="Not modified: the ETag matched `If-None-Match`."),
            416: OpenApiResponse(description="Range not satisfiable; `Content-Range: bytes */<size>`."),
            **error_responses(401, 404, 409),
        },
    )
    def get(self, request, product_id, artifact_id):
        product = _record(request, product_id)
        artifact = selectors.artifact_get(product=product, artifact_id=artifact_id)
        return downloads.download_response(request, artifact)


# --- Release, deprecation, yanking, signature, archive, verification --------------------------

def _released(product, version_id):
    version = selectors.version_get(product=product, version_id=version_id)
    if not version.is_released or not version.signature:
        raise Conflict(f"Version {version.label} is a draft; release it first.", code="version_not_released")
    return version


class VersionReleaseView(_RecordScopedView):
    serializer_class = VersionSerializer
    queryset = ModelVersion.objects.none()

    @extend_schema(
        tags=_VERSIONS, summary="Release a version",
        description="Locks the version and writes its signed manifest (OpenSSF model-signing v1.0: a Sigstore "
        "bundle over an in-toto statement listing each stored file's name and recorded sha256, ECDSA P-256). "
        "From then on its fields and artifact set cannot change. Needs at least one uploaded artifact "
        "(409 `version_empty`; external references are not signed) and none judged unsafe (409 "
        "`artifact_unsafe`); a released version answers 409 `version_released`.",
        parameters=[_PRODUCT_ID, _VERSION_ID], request=None,
        responses=responses({200: VersionSerializer}, 403, 404, 409),
    )
    def post(self, request, product_id, version_id):
        product = _editable_record(request, product_id)
        version = selectors.version_get(product=product, version_id=version_id)
        version_services.version_release(actor=request.user, product=product, version=version)
        return Response(_version_body(product, selectors.version_get(product=product, version_id=version_id)))


class _FlagView(_RecordScopedView):
    serializer_class = VersionSerializer
    queryset = ModelVersion.objects.none()
    service = None

    def post(self, request, product_id, version_id):
        product = _editable_record(request, product_id)
        version = selectors.version_get(product=product, version_id=version_id)
        serializer = RequiredReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        type(self).service(actor=request.user, product=product, version=version,
                           reason=serializer.validated_data["reason"])
        return Response(_version_body(product, selectors.version_get(product=product, version_id=version_id)))


class VersionDeprecateView(_FlagView):
    service = staticmethod(version_services.version_deprecate)

    @extend_schema(
        tags=_VERSIONS, summary="Mark a released version deprecated",
        description="With a `reason`. It stays downloadable and can still be current. A draft answers 409 "
        "`version_not_released`.",
        parameters=[_PRODUCT_ID, _VERSION_ID], request=RequiredReasonSerializer,
        responses=responses({200: VersionSerializer}, 400, 403, 404, 409),
    )
    def post(self, request, product_id, version_id):
        return super().post(request, product_id, version_id)


class VersionYankView(_FlagView):
    service = staticmethod(version_services.version_yank)

    @extend_schema(
        tags=_VERSIONS, summary="Yank a released version",
        description="With a `reason`. It stays downloadable for audit but can no longer be made current "
        "(409 `version_yanked`). A draft answers 409 `version_not_released`.",
        parameters=[_PRODUCT_ID, _VERSION_ID], request=RequiredReasonSerializer,
        responses=responses({200: VersionSerializer}, 400, 403, 404, 409),
    )
    def post(self, request, product_id, version_id):
        return super().post(request, product_id, version_id)


class VersionSignatureView(_RecordScopedView):
    content_negotiation_class = AnyAcceptNegotiation
    queryset = ModelVersion.objects.none()
    serializer_class = None

    @extend_schema(
        tags=_VERSIONS, summary="Download model.sig of a released version",
        description="The Sigstore bundle (JSON) the standard verifier reads: "
        "`model_signing verify key <dir> --public_key <pem> --signature <dir>/model.sig`. A draft answers 409 "
        "`version_not_released`.",
        parameters=[_PRODUCT_ID, _VERSION_ID],
        responses={(200, "application/json"): OpenApiResponse(OpenApiTypes.BINARY, description="model.sig"),
                   **error_responses(401, 404, 409)},
    )
    def get(self, request, product_id, version_id):
        product = _record(request, product_id)
        return downloads.signature_response(request, _released(product, version_id))


class VersionArchiveView(_RecordScopedView):
    content_negotiation_class = AnyAcceptNegotiation
    queryset = ModelVersion.objects.none()
    serializer_class = None

    @extend_schema(
        tags=_VERSIONS, summary="Download a released version as one tar archive",
        description="One folder (named as the signature's subject) holding exactly the signed files and "
        "model.sig, so the unpacked folder verifies as it is. External references are not included. "
        "A draft answers 409 `version_not_released`.",
        parameters=[_PRODUCT_ID, _VERSION_ID],
        responses={(200, "application/x-tar"): OpenApiResponse(OpenApiTypes.BINARY, description="tar archive"),
                   **error_responses(401, 404, 409)},
    )
    def get(self, request, product_id, version_id):
        product = _record(request, product_id)
        version = _released(product, version_id)
        return downloads.release_archive_response(request, version,
                                                  list(version_services.signed_artifacts(version)))


class VersionVerifyView(_RecordScopedView):
    serializer_class = VerifyReportSerializer
    queryset = ModelVersion.objects.none()

    @extend_schema(
        tags=_VERSIONS, summary="Verify a released version's stored files against its signature",
        description="Checks the signature with the key it names (the current key or a trusted earlier one), "
        "then re-hashes every stored file and reports per file: `ok`, `mismatch`, `missing`, or `unsigned`. "
        "Reads every byte, so it takes as long as hashing the version. A draft answers 409 "
        "`version_not_released`.",
        parameters=[_PRODUCT_ID, _VERSION_ID], request=None,
        responses=responses({200: VerifyReportSerializer}, 403, 404, 409),
    )
    def post(self, request, product_id, version_id):
        product = _record(request, product_id)
        version = _released(product, version_id)
        return Response(version_services.version_verify(product=product, version=version))


class SigningPublicKeyView(generics.GenericAPIView):
    content_negotiation_class = AnyAcceptNegotiation
    permission_classes = []
    authentication_classes = []
    serializer_class = None

    @extend_schema(
        tags=_VERSIONS, summary="The public key that signs releases (PEM)",
        description="Give it to `model_signing verify key ... --public_key <pem>`. Public, no authentication.",
        responses={(200, "application/x-pem-file"): OpenApiResponse(OpenApiTypes.STR, description="PEM")},
    )
    def get(self, request):
        from django.http import HttpResponse

        from modelrepo import signing

        response = HttpResponse(signing.public_key_pem(), content_type="application/x-pem-file")
        response["Content-Disposition"] = 'inline; filename="qarion-signing-key.pem"'
        response["X-Signing-Key-Id"] = signing.current_key_id()
        return response
