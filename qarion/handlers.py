"""Error pages: JSON in the API's format under /api/, templates elsewhere."""

from django.shortcuts import render
from django.views import defaults

from common.api.errors import json_bad_request, json_not_found, json_server_error


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def bad_request(request, exception=None):
    if _is_api(request):
        return json_bad_request(request, exception)
    return defaults.bad_request(request, exception)


def not_found(request, exception=None):
    if _is_api(request):
        return json_not_found(request, exception)
    return render(request, "404.html", status=404)


def server_error(request):
    if _is_api(request):
        return json_server_error(request)
    return render(request, "500.html", status=500)


def csrf_failure(request, reason=""):
    """A refused CSRF check: the API's error format under /api/ (a caller that sends a session
    cookie must also send the X-CSRFToken header), Django's page elsewhere."""
    if _is_api(request):
        from django.http import JsonResponse

        return JsonResponse({"error": {
            "code": "csrf_failed",
            "message": "The CSRF check failed: with a session cookie, send the X-CSRFToken header (or use an API "
                       "token without cookies).", "details": {"reason": reason}}}, status=403)
    from django.views.csrf import csrf_failure as django_csrf_failure

    return django_csrf_failure(request, reason=reason)
