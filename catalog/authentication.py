from django.utils import timezone
from rest_framework import authentication, exceptions

from catalog import tokens
from catalog.models import ApiToken


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer qrn_...``. Listed first, so an anonymous API request gets
    401 with a ``WWW-Authenticate`` challenge rather than 403."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        value = value.strip()
        parsed = tokens.parse(value)
        if parsed is None:
            raise exceptions.AuthenticationFailed("The bearer token is malformed; create a new API token in your settings.")
        prefix, secret = parsed
        token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
        if token is None or not tokens.matches(secret, token.secret_sha256):
            raise exceptions.AuthenticationFailed("The API token is not valid.")
        now = timezone.now()
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("The API token was revoked; create a new one in your settings.")
        if token.expires_at is not None and token.expires_at <= now:
            raise exceptions.AuthenticationFailed("The API token has expired; create a new one in your settings.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("The account of this API token is disabled.")
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'
