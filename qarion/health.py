"""``GET /health/`` for load balancers, orchestrators and operators.

Answers ``{"status": "ok" | "degraded", "checks": {"database", "storage", "broker", "workers"}}``:
200 when everything answers, 503 when something is down. The database gets a trivial
query; artifact storage a cheap probe (the bucket's HEAD, or the local directory being
writable); with a broker (``CELERY_BROKER_URL``) the broker gets a connection and the workers a
``ping`` with a short timeout. In the embedded shape tasks run in-process, so broker and
workers report ``eager``. No authentication: the answer carries states and exception class
names only, never a host name, user or password from the connection settings.
"""

import logging

from django.conf import settings
from django.db import connections
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

# Short, so a probe that polls every few seconds never piles up requests.
TIMEOUT_SECONDS = 1.0

OK, DOWN, EAGER, UNKNOWN = "ok", "down", "eager", "unknown"


def _down(component: str, exc: Exception) -> dict:
    logger.warning("Health check: %s is down (%s)", component, type(exc).__name__)
    return {"status": DOWN, "error": type(exc).__name__}


def check_database() -> dict:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "down"; the class name says which
        return _down("database", exc)
    return {"status": OK}


def check_storage() -> dict:
    from modelrepo.storage import artifact_store

    try:
        artifact_store().check()
    except Exception as exc:
        return _down("storage", exc)
    return {"status": OK, "backend": settings.QARION_STORAGE}


def check_broker_and_workers() -> tuple[dict, dict]:
    broker_url = getattr(settings, "CELERY_BROKER_URL", None)
    if not broker_url:
        return {"status": EAGER}, {"status": EAGER}
    from qarion.celery import app

    try:
        with app.connection_for_write(url=broker_url, connect_timeout=TIMEOUT_SECONDS) as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=TIMEOUT_SECONDS)
    except Exception as exc:
        return _down("broker", exc), {"status": UNKNOWN}
    try:
        replies = app.control.ping(timeout=TIMEOUT_SECONDS) or []
    except Exception as exc:
        return {"status": OK}, _down("workers", exc)
    if not replies:
        logger.warning("Health check: no Celery worker answered a ping within %ss", TIMEOUT_SECONDS)
        return {"status": OK}, {"status": DOWN, "count": 0}
    return {"status": OK}, {"status": OK, "count": len(replies)}


@never_cache
@require_safe
def health(request):
    broker, workers = check_broker_and_workers()
    checks = {"database": check_database(), "storage": check_storage(), "broker": broker, "workers": workers}
    healthy = all(check["status"] in (OK, EAGER) for check in checks.values())
    return JsonResponse({"status": "ok" if healthy else "degraded", "checks": checks}, status=200 if healthy else 503)


urlpatterns = [path("", health, name="health")]
