"""API token format: ``qrn_<prefix>_<secret>``. The prefix (public) finds the row; only the
SHA-256 of the secret is stored. Tokens are random, so a slow password hash would only cost
time per request."""

import hashlib
import hmac
import secrets

TOKEN_PREFIX = "qrn_"


def generate() -> tuple[str, str, str]:
    """Returns (token, prefix, secret_sha256)."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return f"{TOKEN_PREFIX}{prefix}_{secret}", prefix, digest(secret)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse(token: str) -> tuple[str, str] | None:
    """Returns (prefix, secret) or None when the string is not shaped like a token."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    prefix, sep, secret = token[len(TOKEN_PREFIX):].partition("_")
    if not sep or len(prefix) != 12 or not secret or len(secret) > 100:
        return None
    return prefix, secret


def matches(secret: str, stored_sha256: str) -> bool:
    return hmac.compare_digest(digest(secret), stored_sha256)
