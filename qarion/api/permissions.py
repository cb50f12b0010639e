from rest_framework import permissions

from catalog.choices import TokenScope
from catalog.models import ApiToken


class IsAuthenticatedWithTokenScope(permissions.BasePermission):
    """Authenticated, and a ``read`` token may only read."""

    message = "This API token has read scope; use a token with write scope to change data."

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        token = request.auth
        if isinstance(token, ApiToken) and token.scope == TokenScope.READ:
            return request.method in permissions.SAFE_METHODS
        return True
