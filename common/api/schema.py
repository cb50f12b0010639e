"""OpenAPI pieces shared by every API view: the error body and the responses that carry it."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import get_doc
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, OpenApiTypes
from rest_framework import serializers


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable snake_case code, e.g. `validation_error`, `not_found`.")
    message = serializers.CharField(help_text="A sentence a person can act on.")
    details = serializers.DictField(
        help_text="For validation errors, field name → list of messages; otherwise extra facts (may be empty)."
    )


class ErrorSerializer(serializers.Serializer):
    """Every error answer of the API: ``{"error": {"code", "message", "details"}}``."""

    error = ErrorBodySerializer()


ERROR_DESCRIPTIONS = {
    400: "Invalid input; `details` names each field with its messages.",
    401: "Not authenticated: send `Authorization: Bearer <api token>` or sign in.",
    403: "You can see this object but may not do this (or the API token has read scope).",
    404: "It does not exist, or you cannot see it.",
    409: "The request conflicts with the object's current state.",
    413: "The request is too large.",
    415: "Send JSON with `Content-Type: application/json`.",
    410: "The upload session has expired; start a new one.",
    411: "Send the body with a Content-Length header.",
    503: "A service the request needs (the object store) did not answer; nothing was lost, try again.",
    507: "The server's upload staging area is full; nothing was stored, send it again later.",
}


def error_responses(*statuses: int) -> dict:
    """``{status: OpenApiResponse(ErrorSerializer)}`` for each status, to merge into ``responses``."""
    return {s: OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS.get(s, "Error.")) for s in statuses}


def responses(ok: dict, *error_statuses: int) -> dict:
    """The success responses plus the error responses of the given statuses (401 always)."""
    return {**ok, **error_responses(*sorted({401, *error_statuses}))}


def uuid_path_parameter(name: str, description: str) -> OpenApiParameter:
    """A path parameter that is a UUID. The URL accepts any string, so a malformed id answers
    404 in the error format from the view rather than an unmatched URL."""
    return OpenApiParameter(name, OpenApiTypes.UUID, OpenApiParameter.PATH, description=description)


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Documents ``Authorization: Bearer <api token>`` (registered by being imported)."""

    target_class = "catalog.authentication.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token (`qrn_...`) created at /api/v1.0/users/me/tokens or in your settings.",
        }


class QarionAutoSchema(AutoSchema):
    """The schema class of every API view (REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS). Skips
    read-only fields when describing request bodies: drf-spectacular would describe them and
    drop them afterwards, leaving unused ``...Request`` components (for instance for a record's
    read-only repository summary) that client generators turn into dead classes."""

    def get_description(self):
        """The method's docstring, else the view class's own: a base view's docstring describes
        the base (what its subclasses share), not an endpoint."""
        method = getattr(self.view, getattr(self.view, "action", self.method.lower()), None)
        view_class = type(self.view)
        return get_doc(method) or (get_doc(view_class) if view_class.__doc__ else "")

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if direction == "request" and getattr(field, "read_only", False):
            return None
        return super()._map_serializer_field(field, direction, bypass_extensions)

    def _map_basic_serializer(self, serializer, direction):
        """A request body whose serializer refuses unknown fields says so
        (``additionalProperties: false``), so the schema states the rule the server enforces."""
        from common.api.serializers import StrictFieldsMixin

        schema = super()._map_basic_serializer(serializer, direction)
        strict = isinstance(serializer, StrictFieldsMixin) or (
            isinstance(serializer, type) and issubclass(serializer, StrictFieldsMixin))
        if direction == "request" and strict:
            schema["additionalProperties"] = False
        one_of = getattr(serializer, "schema_exactly_one_of", None)
        if direction == "request" and one_of:  # e.g. product_id or space, not both, not neither
            schema["oneOf"] = [{"required": [name]} for name in one_of]
        return schema


def document_validation_errors(result, generator, request, public):
    """Postprocessing hook: every operation with a ``page`` or ``size`` query parameter
    documents the 400 it answers for a bad value and the 404 for a page past the end."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            query = {p.get("name") for p in operation.get("parameters", []) if p.get("in") == "query"}
            if not query & {"page", "size"}:
                continue
            for status in ("400", "404"):
                operation["responses"].setdefault(status, {
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                    "description": ERROR_DESCRIPTIONS[int(status)] if status == "400" else "A page past the end."})
    return result
