"""What uploads add to a model record's page: on the Artifacts tab, the uploads in progress the
user may see, with their progress, and for editors the browser uploader's settings. Registered
with ``modelrepo.tabs`` when the app starts."""

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.middleware.csrf import get_token
from django.urls import reverse

from uploads import services
from uploads.choices import ChunkState

MAX_SESSIONS = 50  # open upload sessions listed on the Artifacts tab
UPLOAD_PARALLEL_CHUNKS = 3  # chunks the browser uploader sends at a time


def open_upload_sessions(user, product) -> list:
    """The open and assembling sessions ``user`` may see, each with ``received_bytes`` and
    ``received_count`` summed in the same query."""
    received = Q(chunks__state=ChunkState.RECEIVED)
    sessions = services.session_list(user=user, product=product).select_related("created_by", "version")
    sessions = sessions.annotate(
        received_bytes=Coalesce(Sum("chunks__size", filter=received), 0),
        received_count=Count("chunks", filter=received),
    )
    listed = list(sessions[:MAX_SESSIONS])
    if services.sync_listed_direct_sessions(listed):  # parts sent straight to the bucket
        listed = list(sessions[:MAX_SESSIONS])
    return listed


def artifacts_tab_context(request, product, *, can_edit: bool) -> dict:
    context = {"sessions": open_upload_sessions(request.user, product)}
    if can_edit:
        context["uploader_config"] = {
            "uploadsUrl": reverse("uploads-api:session-list", kwargs={"product_id": product.pk}),
            "artifactsUrl": reverse("modelrepo-api:artifacts", kwargs={"product_id": product.pk}),
            "csrfToken": get_token(request),
            "parallel": UPLOAD_PARALLEL_CHUNKS,
        }
    return context
