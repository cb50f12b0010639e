"""Errors the SDK raises; each carries the exit code the command line uses for it."""


class QarionError(Exception):
    """Any failure the client reports. ``code`` is the server's error code when there is one."""

    exit_code = 1

    def __init__(self, message: str, *, code: str = "", status: int | None = None, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.details = details or {}


class UsageError(QarionError):
    """Bad arguments, or a request the server rejected as invalid."""
    exit_code = 2


class AuthError(QarionError):
    """Missing or wrong token, or no permission for the operation."""
    exit_code = 3


class NotFoundError(QarionError):
    """The product, artifact, version or space does not exist or is not visible to the caller."""
    exit_code = 4


class ChecksumError(QarionError):
    """The bytes do not match their sha256."""
    exit_code = 5


class NetworkError(QarionError):
    """The server could not be reached, even after retries."""
    exit_code = 6


class ServerError(QarionError):
    """Any other error answered by the server."""
    exit_code = 1
