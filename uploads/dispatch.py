"""How a completed session gets assembled in each deployment shape."""

import logging
import threading

from django.conf import settings
from django.db import close_old_connections, transaction

from uploads import services, tasks

log = logging.getLogger(__name__)


def _assemble_in_thread(session_id) -> None:
    try:
        services.session_assemble(session_id)
    except Exception:  # the lease runs out and the periodic recovery retries
        log.exception("Assembly of upload session %s failed", session_id)
    finally:
        close_old_connections()


def assemble(session, *, defer=None) -> bool:
    """Start assembling ``session``; returns True when it already ran to its end here.

    With a broker, a worker does it once the transaction commits. In the embedded shape,
    small files are assembled at once, larger ones in a background thread so the request
    never outlives the server's timeout. ``defer(start)``, when given, receives the thread's
    start so the caller can run it once its response has gone out (the hashing thread would
    otherwise compete with the response for the interpreter)."""
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        transaction.on_commit(lambda: tasks.assemble.delay(str(session.id)))
        return False
    if session.total_size <= settings.QARION_INLINE_ASSEMBLY_MAX_SIZE:
        services.session_assemble(session.id)
        return True
    thread = threading.Thread(target=_assemble_in_thread, args=(session.id,), name=f"assemble-{session.id}", daemon=True)
    if defer is not None:
        defer(thread.start)
    else:
        transaction.on_commit(thread.start)
    return False
