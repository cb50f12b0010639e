"""The upload protocol of API.md: start, chunks, complete, abort, session state."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api.schema import error_responses, uuid_path_parameter
from common.errors import NotFound
from modelrepo.selectors import model_record_get_editable, model_record_row_get_editable
from uploads import dispatch, services
from uploads.api.serializers import (
    ChunkReceiptSerializer,
    PartsRequestSerializer,
    PartUrlsSerializer,
    UploadCompleteSerializer,
    UploadSessionSerializer,
    UploadStartSerializer,
)
from uploads.choices import SessionStatus
from uploads.models import UploadSession

PRODUCT = uuid_path_parameter("product_id", "The model record.")
SESSION = uuid_path_parameter("upload_id", "The upload session.")


def _errors(*statuses: int) -> dict:
    """The error responses of an upload operation, each with the error body (401 always)."""
    return error_responses(*sorted({401, *statuses}))


def _editable_product(request, product_id):
    return model_record_get_editable(user=request.user, product_id=product_id)


def _session(request, product_id, upload_id) -> UploadSession:
    """A session of the record that the caller may act on, fetched with the record and the
    caller's grants on it in one query (a chunk PUT runs at most five)."""
    try:
        session = model_record_row_get_editable(UploadSession.objects.all(), user=request.user,
                                                product_id=product_id, pk=upload_id)
    except UploadSession.DoesNotExist:
        session = None
    if session is None or not services.session_visible_to(session, request.user):
        raise NotFound("No upload session with this id exists on this record.")
    return session


class RawBodyParser(BaseParser):
    """Declares that chunk bodies are raw bytes; the view streams them itself and never
    asks DRF to parse them."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):  # pragma: no cover - never called
        raise AssertionError("chunk bodies are streamed by the view")


class UploadSessionListView(APIView):
    @extend_schema(operation_id="upload_sessions_list", parameters=[PRODUCT], responses={200: UploadSessionSerializer(many=True), **_errors(403, 404)},
                   summary="The product's open upload sessions (for resume and the Artifacts tab)")
    def get(self, request, product_id):
        product = _editable_product(request, product_id)
        sessions = list(services.session_list(user=request.user, product=product)[:100])
        if services.sync_listed_direct_sessions(sessions):  # parts sent straight to the bucket
            sessions = list(services.session_list(user=request.user, product=product)[:100])
        return Response(UploadSessionSerializer(sessions, many=True, context={"request": request}).data)

    @extend_schema(operation_id="upload_sessions_start", request=UploadStartSerializer, parameters=[PRODUCT],
                   responses={201: UploadSessionSerializer, **_errors(400, 403, 404, 409, 413, 503, 507)},
                   summary="Start an upload session")
    def post(self, request, product_id):
        product = _editable_product(request, product_id)
        body = UploadStartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        session = services.session_start(
            actor=request.user, product=product, file_name=data["file_name"], total_size=data["total_size"],
            artifact_kind=data["artifact_kind"], content_type=data.get("content_type"),
            expected_sha256=data.get("expected_sha256"), version_id=data.get("version_id"),
            training_run_id=data.get("training_run_id"), make_current=data.get("make_current", False),
            transfer=data.get("transfer", "server"),
        )
        return Response(UploadSessionSerializer(session, context={"request": request}).data, status=status.HTTP_201_CREATED)


class UploadSessionDetailView(APIView):
    @extend_schema(operation_id="upload_sessions_retrieve", parameters=[PRODUCT, SESSION],
                   responses={200: UploadSessionSerializer, **_errors(404, 503)},
                   summary="Session state, for resume and polling")
    def get(self, request, product_id, upload_id):
        session = _session(request, product_id, upload_id)
        if session.status == SessionStatus.OPEN:
            services.expire_if_due(session)
            services.sync_direct_parts(session)
        return Response(UploadSessionSerializer(session, context={"request": request}).data)

    @extend_schema(operation_id="upload_sessions_abort", parameters=[PRODUCT, SESSION], responses={204: None, **_errors(404, 409)},
                   summary="Abort; staged bytes are removed")
    def delete(self, request, product_id, upload_id):
        session = _session(request, product_id, upload_id)
        services.session_abort(actor=request.user, session=session)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UploadChunkView(APIView):
    parser_classes = [RawBodyParser]

    @extend_schema(
        operation_id="upload_chunks_put",
        request={"application/octet-stream": OpenApiTypes.BINARY},
        parameters=[
            PRODUCT, SESSION,
            OpenApiParameter("chunk_index", OpenApiTypes.INT, OpenApiParameter.PATH,
                             description="From 0 to total_chunks - 1."),
            OpenApiParameter("Content-Digest", OpenApiTypes.STR, OpenApiParameter.HEADER,
                             description="Optional RFC 9530 digest, sha-256=:<base64>:"),
        ],
        responses={200: ChunkReceiptSerializer, **_errors(400, 404, 409, 410, 411, 503, 507)},
        summary="Send one chunk (raw bytes)",
        description="The body is the chunk's bytes, sent with an exact Content-Length (411 without one): "
        "chunk_size bytes, or the rest for the last chunk.",
    )
    def put(self, request, product_id, upload_id, chunk_index):
        session = _session(request, product_id, upload_id)
        receipt = services.chunk_receive(
            session=session, index_raw=chunk_index, content_length=request.META.get("CONTENT_LENGTH"),
            content_digest=request.headers.get("Content-Digest"), read=request._request.read,
        )
        return Response(ChunkReceiptSerializer(receipt).data)


class UploadCompleteView(APIView):
    @extend_schema(
        operation_id="upload_sessions_complete", request=UploadCompleteSerializer, parameters=[PRODUCT, SESSION],
        responses={200: UploadSessionSerializer, 201: UploadSessionSerializer, 202: UploadSessionSerializer,
                   **_errors(400, 404, 409, 410, 503)},
        summary="Assemble, checksum and create the artifact",
    )
    def post(self, request, product_id, upload_id):
        session = _session(request, product_id, upload_id)
        body = UploadCompleteSerializer(data=request.data or {})
        body.is_valid(raise_exception=True)
        if session.status == SessionStatus.COMPLETED:
            return Response(UploadSessionSerializer(session, context={"request": request}).data, status=status.HTTP_200_OK)
        session = services.session_complete(
            actor=request.user, session=session, expected_sha256=body.validated_data.get("expected_sha256")
        )
        after_response = []
        if session.status == SessionStatus.ASSEMBLING and dispatch.assemble(session, defer=after_response.append):
            session.refresh_from_db()
        if session.status == SessionStatus.COMPLETED:
            return Response(UploadSessionSerializer(session, context={"request": request}).data, status=status.HTTP_201_CREATED)
        if session.status == SessionStatus.OPEN and session.error:
            error = session.error
            return Response(
                {"error": {"code": error["code"], "message": error["message"],
                           "details": {**error.get("details", {}), "session": UploadSessionSerializer(session, context={"request": request}).data}}},
                status=status.HTTP_400_BAD_REQUEST,
            )
        if session.status == SessionStatus.FAILED:
            error = session.error or {}
            return Response(
                {"error": {"code": error.get("code", "upload_failed"),
                           "message": error.get("message", "The upload could not be assembled."),
                           "details": {"session": UploadSessionSerializer(session, context={"request": request}).data}}},
                status=status.HTTP_409_CONFLICT,
            )
        response = Response(UploadSessionSerializer(session, context={"request": request}).data,
                            status=status.HTTP_202_ACCEPTED)
        # Django runs these when the server closes the response, i.e. once it has been sent.
        response._resource_closers.extend(after_response)
        return response


class UploadPartsView(APIView):
    @extend_schema(
        operation_id="upload_parts_urls", request=PartsRequestSerializer, parameters=[PRODUCT, SESSION],
        responses={200: PartUrlsSerializer, **_errors(400, 404, 409, 410, 503)},
        summary="Presigned part URLs for direct transfer to the bucket",
    )
    def post(self, request, product_id, upload_id):
        session = _session(request, product_id, upload_id)
        body = PartsRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        parts = services.direct_part_urls(session=session, parts=[dict(p) for p in body.validated_data["parts"]])
        return Response(PartUrlsSerializer({"parts": parts}).data)
