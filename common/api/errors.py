"""The API's one error format:
``{"error": {"code": "<snake_case>", "message": "<sentence>", "details": {..}}}``.
Domain errors raised by services and DRF's own exceptions are mapped here, once."""

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from common.errors import DomainError

_CODES = {
    exceptions.ParseError: "malformed_request",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def _flatten(detail):
    """DRF error details as plain JSON (lists of strings, nested dicts kept)."""
    if isinstance(detail, dict):
        return {str(k): _flatten(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [_flatten(v) for v in detail]
    return str(detail)


def _validation_message(details) -> str:
    if isinstance(details, dict):
        fields = [k for k in details if k != "non_field_errors"]
        if "non_field_errors" in details and not fields:
            first = details["non_field_errors"]
            return str(first[0] if isinstance(first, list) and first else first)
        if len(fields) == 1:
            messages = details[fields[0]]
            first = messages[0] if isinstance(messages, list) and messages else messages
            if isinstance(first, str):
                return f"{fields[0]}: {first}"
        if fields:
            return "Some fields are invalid: " + ", ".join(fields) + ". See details for each."
    if isinstance(details, list) and details:
        return str(details[0])
    return "The request is invalid."


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.details), status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found: it does not exist or you cannot see it.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        details = _flatten(exc.detail)
        if not isinstance(details, dict):
            details = {"non_field_errors": details if isinstance(details, list) else [details]}
        response = Response(error_body("validation_error", _validation_message(details), details), status=400)
        return response
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code = next((c for cls, c in _CODES.items() if isinstance(exc, cls)), None) or getattr(exc, "default_code", "error")
    message = str(exc.detail) if isinstance(exc.detail, str) else _validation_message(_flatten(exc.detail))
    if isinstance(exc, exceptions.ParseError):
        message = f"The request body could not be read: {message} Send valid JSON with Content-Type: application/json."
    headers = {k: v for k, v in response.items() if k in ("WWW-Authenticate", "Allow", "Retry-After")}
    return Response(error_body(code, message), status=response.status_code, headers=headers)


def json_not_found(request, exception=None):
    return JsonResponse(error_body("not_found", "There is nothing at this address."), status=status.HTTP_404_NOT_FOUND)


def json_bad_request(request, exception=None):
    """What Django refuses before any view runs: a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``
    (413) or a request it cannot read (400)."""
    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return JsonResponse(error_body(
            "request_too_large", f"The request body is larger than the {limit:,} bytes a JSON request may have; "
            "send files through the upload protocol, in chunks."), status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    return JsonResponse(error_body("bad_request", "The request could not be read; check its headers and body."),
                        status=status.HTTP_400_BAD_REQUEST)


def json_server_error(request):
    return JsonResponse(
        error_body("server_error", "The server failed to handle this request; it was logged. Try again later."),
        status=500,
    )
