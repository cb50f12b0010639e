"""Domain errors raised by services and mapped once to HTTP (API) or form errors (UI)."""


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, details: dict | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.details = details or {}


class ValidationFailed(DomainError):
    """Input that breaks a domain rule; ``details`` maps field names to lists of messages."""

    status = 400
    code = "validation_error"


class PermissionDenied(DomainError):
    status = 403
    code = "permission_denied"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


def invalid(details: dict, *, code: str = "validation_error") -> ValidationFailed:
    """A ValidationFailed whose message names the first invalid field, for a person to act on."""
    field, messages = next(iter(details.items()))
    first = messages[0] if isinstance(messages, list) and messages else messages
    prefix = "" if field in ("non_field_errors", "__all__") else f"{field}: "
    more = f" ({len(details) - 1} more field(s) in details)" if len(details) > 1 else ""
    return ValidationFailed(f"{prefix}{first}{more}", code=code, details=details)
