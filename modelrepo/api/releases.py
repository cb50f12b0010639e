"""API of releases: release a version (locked and signed), deprecate or yank it, download its
signature or the whole release, verify its stored files, and the public key that signs. Writes
go through modelrepo.versions."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from common.api.schema import error_responses, responses
from common.api.serializers import StrictFieldsMixin
from common.api.views import ApiView
from common.errors import Conflict
from modelrepo import downloads, signing
from modelrepo import versions as version_services
from modelrepo.api.downloads import AnyAcceptNegotiation
from modelrepo.api.records import PRODUCT_ID
from modelrepo.api.versions import VERSION_ID, VERSION_TAGS, VersionActionView, VersionView, version_action


class RequiredReasonSerializer(StrictFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why; shown with the version and kept in the audit log.")


class VerifyFileSerializer(serializers.Serializer):
    name = serializers.CharField()
    expected_sha256 = serializers.CharField(allow_null=True)
    actual_sha256 = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=["ok", "mismatch", "missing", "unsigned"])


class VerifySignatureSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    key_id = serializers.CharField(help_text="sha256 of the PEM of the public key that signed it.")
    model_name = serializers.CharField(required=False)
    message = serializers.CharField()


class VerifyReportSerializer(serializers.Serializer):
    """The stored files of a released version re-checked against its signed manifest."""

    valid = serializers.BooleanField()
    signature = VerifySignatureSerializer()
    files = VerifyFileSerializer(many=True)


class _ReleasedVersionView(VersionView):
    """A view of a released version's signed files: a draft answers 409."""

    def released(self, product):
        version = self.version(product)
        if not version.is_released or not version.signature:
            raise Conflict(f"Version {version.label} is a draft; release it first.", code="version_not_released")
        return version


class _ReleaseFileView(_ReleasedVersionView):
    """Answers a file whatever the client accepts (errors answer JSON)."""

    content_negotiation_class = AnyAcceptNegotiation
    serializer_class = None


@version_action(
    "Release a version",
    "Locks the version and writes its signed manifest (OpenSSF model-signing v1.0: a Sigstore "
    "bundle over an in-toto statement listing each stored file's name and recorded sha256, ECDSA P-256). "
    "From then on its fields and artifact set cannot change. Needs at least one uploaded artifact "
    "(409 `version_empty`; external references are not signed) and none judged unsafe (409 "
    "`artifact_unsafe`); a released version answers 409 `version_released`.",
)
class VersionReleaseView(VersionActionView):
    service = staticmethod(version_services.version_release)


@version_action(
    "Mark a released version deprecated",
    "With a `reason`. It stays downloadable and can still be current. A draft answers 409 `version_not_released`.",
)
class VersionDeprecateView(VersionActionView):
    service = staticmethod(version_services.version_deprecate)
    reason_serializer = RequiredReasonSerializer


@version_action(
    "Yank a released version",
    "With a `reason`. It stays downloadable for audit but can no longer be made current "
    "(409 `version_yanked`). A draft answers 409 `version_not_released`.",
)
class VersionYankView(VersionActionView):
    service = staticmethod(version_services.version_yank)
    reason_serializer = RequiredReasonSerializer


class VersionSignatureView(_ReleaseFileView):
    @extend_schema(
        tags=VERSION_TAGS, summary="Download model.sig of a released version",
        description="The Sigstore bundle (JSON) the standard verifier reads: "
        "`model_signing verify key <dir> --public_key <pem> --signature <dir>/model.sig`. A draft answers 409 "
        "`version_not_released`.",
        parameters=[PRODUCT_ID, VERSION_ID],
        responses={(200, "application/json"): OpenApiResponse(
            OpenApiTypes.OBJECT, description="model.sig: a Sigstore bundle "
            "(`application/vnd.dev.sigstore.bundle.v0.3+json`), served as JSON to save as model.sig."),
                   **error_responses(401, 404, 409)},
    )
    def get(self, request, product_id, version_id):
        return downloads.signature_response(request, self.released(self.record()))


class VersionArchiveView(_ReleaseFileView):
    @extend_schema(
        tags=VERSION_TAGS, summary="Download a released version as one tar archive",
        description="One folder (named as the signature's subject) holding exactly the signed files and "
        "model.sig, so the unpacked folder verifies as it is. External references are not included. "
        "A draft answers 409 `version_not_released`.",
        parameters=[PRODUCT_ID, VERSION_ID],
        responses={(200, "application/x-tar"): OpenApiResponse(OpenApiTypes.BINARY, description="tar archive"),
                   **error_responses(401, 404, 409)},
    )
    def get(self, request, product_id, version_id):
        version = self.released(self.record())
        return downloads.release_archive_response(request, version, list(version_services.signed_artifacts(version)))


class VersionVerifyView(_ReleasedVersionView):
    serializer_class = VerifyReportSerializer

    @extend_schema(
        tags=VERSION_TAGS, summary="Verify a released version's stored files against its signature",
        description="Checks the signature with the key it names (the current key or a trusted earlier one), "
        "then re-hashes every stored file and reports per file: `ok`, `mismatch`, `missing`, or `unsigned`. "
        "Reads every byte, so it takes as long as hashing the version. A draft answers 409 "
        "`version_not_released`.",
        parameters=[PRODUCT_ID, VERSION_ID], request=None,
        responses=responses({200: VerifyReportSerializer}, 403, 404, 409),
    )
    def post(self, request, product_id, version_id):
        product = self.record()
        return Response(version_services.version_verify(product=product, version=self.released(product)))


class SigningPublicKeyView(ApiView):
    content_negotiation_class = AnyAcceptNegotiation
    permission_classes = []
    authentication_classes = []

    @extend_schema(
        tags=VERSION_TAGS, summary="The public key that signs releases (PEM)",
        description="Give it to `model_signing verify key ... --public_key <pem>`. Public, no authentication.",
        parameters=[OpenApiParameter("X-Signing-Key-Id", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[200],
                                     description="The key id: the sha256 of this PEM, as signatures name it.")],
        responses={(200, "application/x-pem-file"): OpenApiResponse(
            OpenApiTypes.STR, description="The public key, PEM (`-----BEGIN PUBLIC KEY-----` ...).")},
    )
    def get(self, request):
        response = HttpResponse(signing.public_key_pem(), content_type="application/x-pem-file")
        response["Content-Disposition"] = 'inline; filename="qarion-signing-key.pem"'
        response["X-Signing-Key-Id"] = signing.current_key_id()
        return response
