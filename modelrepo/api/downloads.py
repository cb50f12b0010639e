"""API of an artifact's download: the bytes streamed with ranges and conditional requests, or a
redirect to object storage or the external URI (modelrepo.downloads)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.negotiation import BaseContentNegotiation

from common.api.schema import error_responses
from modelrepo import downloads
from modelrepo.api.artifacts import ARTIFACT_ID, ARTIFACT_TAGS, ArtifactView
from modelrepo.api.records import PRODUCT_ID


class AnyAcceptNegotiation(BaseContentNegotiation):
    """Never refuses a request for its Accept header: a download answers bytes whatever the
    client accepts (``application/octet-stream``, ``*/*``), and errors answer JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def _header(name: str, description: str, statuses: list[int]) -> OpenApiParameter:
    """A header of the download's answers with these statuses."""
    return OpenApiParameter(name, OpenApiTypes.STR, OpenApiParameter.HEADER, description=description,
                            response=statuses)


RESPONSE_HEADERS = [
    _header("ETag", 'The file\'s sha256 in quotes: `"<sha256>"`.', [200, 206, 302, 304, 416]),
    _header("Repr-Digest", "`sha-256=:<base64 of the sha-256>:` of the whole file (RFC 9530).",
            [200, 206, 302, 304, 416]),
    _header("Accept-Ranges", "`bytes`.", [200, 206, 304, 416]),
    _header("Content-Disposition", "`attachment` with the file name.", [200, 206]),
    _header("Content-Range", "`bytes a-b/<size>` (206), or `bytes */<size>` (416).", [206, 416]),
    _header("Location", "A short-lived signed URL of the object, or the external URI.", [302]),
]
_BINARY = OpenApiResponse(OpenApiTypes.BINARY, description="The file's bytes (a Range request answers 206).")


class ArtifactDownloadView(ArtifactView):
    content_negotiation_class = AnyAcceptNegotiation
    serializer_class = None

    @extend_schema(
        tags=ARTIFACT_TAGS, summary="Download an artifact's bytes",
        description=(
            "Streams the file with `Content-Length`, `Content-Type`, `Content-Disposition: attachment`, "
            "`ETag: \"<sha256>\"`, `Repr-Digest: sha-256=:<base64>:` and `Accept-Ranges: bytes`.\n\n"
            "`Range: bytes=a-b`, `bytes=a-` or `bytes=-n` answers 206 with `Content-Range`; a range outside the "
            "file answers 416 with `Content-Range: bytes */<size>`. Several ranges in one header are answered "
            "with the whole file (200). `If-None-Match` with the ETag answers 304; `If-Range` with another ETag "
            "sends the whole file.\n\n"
            "Object storage answers 302 to a short-lived signed URL, except a resumed download (`Range` with an "
            "`If-Range` that matches), whose range the server streams from the bucket (206); an external http(s) "
            "reference answers 302 "
            "to its URI (other schemes answer 409 `artifact_external` with the URI in the message). Missing "
            "stored bytes answer 404 `artifact_bytes_missing`. One audit event per download: requests that "
            "start at byte 0 count, later ranges of the same download do not."
        ),
        parameters=[
            PRODUCT_ID, ARTIFACT_ID,
            OpenApiParameter("Range", OpenApiTypes.STR, OpenApiParameter.HEADER, description="`bytes=a-b`, `bytes=a-` or `bytes=-n`."),
            OpenApiParameter("If-None-Match", OpenApiTypes.STR, OpenApiParameter.HEADER),
            OpenApiParameter("If-Range", OpenApiTypes.STR, OpenApiParameter.HEADER),
            *RESPONSE_HEADERS,
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
        return downloads.download_response(request, self.artifact(self.record()))
