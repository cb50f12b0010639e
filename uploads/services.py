"""Upload sessions: start, receive chunks, complete (assemble + checksum + artifact),
abort, expire, and recover assemblies whose worker died.

Every status change is a conditional UPDATE or happens under the session row's lock, so
it works the same on SQLite (IMMEDIATE transactions) and PostgreSQL (row locks)."""

import base64
import binascii
import contextlib
import errno
import hashlib
import logging
import math
import re
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.utils import timezone

from catalog import access, audit
from catalog.models import Product
from common.errors import Conflict, DomainError, PermissionDenied, ValidationFailed, invalid
from modelrepo import ingest, rules, storage
from uploads import staging
from uploads.choices import ChunkState, SessionStatus, Transfer
from uploads.models import UploadChunk, UploadSession

log = logging.getLogger(__name__)

MAX_CHUNKS = 10_000
MAX_ASSEMBLY_ATTEMPTS = 5
_CONTENT_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+(\s*;\s*[\w.+-]+=[\w.+\"-]+)*$")


class UploadExpired(DomainError):
    status = 410
    code = "upload_expired"


class UploadNotOpen(Conflict):
    code = "upload_not_open"


class UploadTooLarge(DomainError):
    status = 413
    code = "upload_too_large"


class LengthRequired(DomainError):
    status = 411
    code = "length_required"


class InsufficientStorage(DomainError):
    """The staging area cannot hold the bytes (a full disk or quota): nothing was stored."""

    status = 507
    code = "insufficient_storage"


class StorageUnavailable(DomainError):
    """The object store refused or did not answer: nothing was lost, the request can be repeated."""

    status = 503
    code = "storage_unavailable"


class DirectTransfer(Conflict):
    code = "direct_transfer"


def _store_down(what: str, exc: Exception) -> StorageUnavailable:
    log.warning("Object storage failed while %s: %s", what, exc)
    return StorageUnavailable(
        f"The object store did not accept the request while {what} ({exc}); nothing was lost. Try again in a "
        "moment; if it keeps failing, an operator should check the bucket settings and /health/.")


_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
# Part URLs handed out for direct transfer are valid this long (seconds), and at most this many a call.
PART_URL_TTL = 900
MAX_PART_URLS = 100
# Room left on the staging filesystem beyond a new upload's size, for the uploads already
# under way and for assembly.
STAGING_MARGIN = 64 * 1024 * 1024


# --- validation helpers -------------------------------------------------------------------

def validate_file_name(name) -> str:
    problem = rules.file_name_problem(name)
    if problem:
        raise invalid({"file_name": [problem]})
    return name


def validate_sha256(value, field="expected_sha256") -> str:
    if value in (None, ""):
        return ""
    stored = rules.normalise_sha256(value) if isinstance(value, str) and value == value.strip() else None
    if stored is None:
        raise invalid({field: [rules.SHA256_MESSAGE]})
    return stored


def parse_content_digest(header: str | None) -> bytes | None:
    """The sha-256 value of an RFC 9530 ``Content-Digest`` header, or None when absent
    or when it names only algorithms we do not check."""
    if not header:
        return None
    for member in header.split(","):
        key, sep, value = member.strip().partition("=")
        if key.strip().lower() != "sha-256":
            continue
        value = value.strip()
        if not sep or len(value) < 2 or value[0] != ":" or value[-1] != ":":
            raise invalid({"Content-Digest": ["Use the form sha-256=:<base64 of the digest>:."]}, code="invalid_digest")
        try:
            raw = base64.b64decode(value[1:-1], validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            raise invalid({"Content-Digest": ["The sha-256 value is not a base64 SHA-256 digest."]}, code="invalid_digest")
        return raw
    return None


def plan_chunks(total_size: int, *, minimum: int = 1) -> tuple[int, int]:
    """(chunk_size, total_chunks): the configured size (at least ``minimum``, S3's smallest
    part for object storage), rounded up only as far as needed to keep the session under
    MAX_CHUNKS chunks."""
    chunk_size = max(settings.QARION_UPLOAD_CHUNK_SIZE, minimum, math.ceil(total_size / MAX_CHUNKS))
    return chunk_size, math.ceil(total_size / chunk_size)


def expected_chunk_size(session: UploadSession, index: int) -> int:
    if index < session.total_chunks - 1:
        return session.chunk_size
    return session.total_size - session.chunk_size * (session.total_chunks - 1)


def _ttl() -> timedelta:
    return timedelta(seconds=settings.QARION_UPLOAD_SESSION_TTL)


# --- access -------------------------------------------------------------------------------

def session_visible_to(session: UploadSession, user) -> bool:
    """Whether ``user`` may act on ``session``: its creator with edit access to the record,
    or a space/org admin."""
    if session.created_by_id == user.pk:
        return access.can(user, access.EDIT, session.product)
    return access.can(user, access.VIEW_OTHERS_SESSIONS, session.product)


def session_list(*, user, product: Product, statuses=(SessionStatus.OPEN, SessionStatus.ASSEMBLING)):
    qs = (UploadSession.objects.filter(product=product, status__in=statuses)
          .select_related("artifact__uploaded_by").order_by("-created_at"))
    if not access.can(user, access.VIEW_OTHERS_SESSIONS, product):
        qs = qs.filter(created_by=user)
    return qs


def open_sessions_naming_run(run) -> int:
    """How many open or assembling sessions will attach their file to training ``run``."""
    return UploadSession.objects.filter(
        training_run=run, status__in=[SessionStatus.OPEN, SessionStatus.ASSEMBLING]).count()


def received_chunks(session: UploadSession) -> tuple[list[int], int]:
    """(the indexes of the chunks received, in order; their total size), kept on ``session``
    once known, so a response that shows them twice, or a service that already knows them,
    costs no query."""
    known = session.__dict__.get("_received_chunks")
    if known is None:
        rows = session.chunks.filter(state=ChunkState.RECEIVED).values_list("index", "size")
        indexes, total = [], 0
        for index, size in rows:
            indexes.append(index)
            total += size
        known = _know_received(session, sorted(indexes), total)
    return known


def _know_received(session: UploadSession, indexes: list[int], total: int) -> tuple[list[int], int]:
    session.__dict__["_received_chunks"] = (indexes, total)
    return indexes, total


# --- start --------------------------------------------------------------------------------

def session_start(*, actor, product: Product, file_name, total_size, artifact_kind, content_type=None,
                  expected_sha256=None, version_id=None, training_run_id=None, make_current=False,
                  transfer=Transfer.SERVER) -> UploadSession:
    if not access.can(actor, access.EDIT, product):
        raise PermissionDenied("You can view this record but not upload to it; ask for editor access.")
    file_name = validate_file_name(file_name)
    if isinstance(total_size, bool) or not isinstance(total_size, int) or total_size <= 0:
        raise invalid({"total_size": ["Give the file's size in bytes, a whole number greater than zero."]})
    if total_size > settings.QARION_UPLOAD_MAX_SIZE:
        raise UploadTooLarge(
            f"The file is {total_size} bytes; this server accepts at most {settings.QARION_UPLOAD_MAX_SIZE} bytes per upload.",
            details={"total_size": total_size, "max_size": settings.QARION_UPLOAD_MAX_SIZE},
        )
    content_type = (content_type or "application/octet-stream").strip()
    if len(content_type) > 255 or not _CONTENT_TYPE.match(content_type):
        raise invalid({"content_type": ["Give a media type such as application/octet-stream."]})
    expected_sha256 = validate_sha256(expected_sha256)
    if not isinstance(make_current, bool):
        raise invalid({"make_current": ["Must be true or false."]})
    if transfer not in Transfer.values:
        raise invalid({"transfer": [f"Use one of: {', '.join(Transfer.values)}."]})
    # Refused before any bytes arrive, not after (DOMAIN.md, change_policy).
    target = ingest.artifact_ingest_check(product=product, file_name=file_name, kind=artifact_kind,
                                          version_id=version_id, training_run_id=training_run_id,
                                          make_current=make_current)
    store = storage.artifact_store()
    if not store.supports_multipart:
        _check_staging_room(total_size)
    chunk_size, total_chunks = plan_chunks(total_size, minimum=storage.MIN_PART_SIZE if store.supports_multipart else 1)
    direct = transfer == Transfer.DIRECT and store.supports_multipart and settings.QARION_UPLOAD_DIRECT
    session = UploadSession(
        product=product, created_by=actor, file_name=file_name, content_type=content_type, total_size=total_size,
        artifact_kind=artifact_kind, expected_sha256=expected_sha256, version=target.version,
        training_run=target.training_run, make_current=make_current, chunk_size=chunk_size,
        total_chunks=total_chunks, status=SessionStatus.OPEN, expires_at=timezone.now() + _ttl(),
        transfer=Transfer.DIRECT if direct else Transfer.SERVER,
    )
    if store.supports_multipart:  # the bytes go to the bucket's multipart upload, never to a node's disk
        try:
            session.multipart_upload_id = store.multipart_start(
                storage.key_for_session(session.id), content_type=content_type, part_checksums=direct)
        except storage.StoreUnavailable as exc:
            raise _store_down("starting the upload", exc) from None
    else:
        staging.create(session.id, total_size)
    try:
        with transaction.atomic():
            session.save(force_insert=True)
            audit.record(actor=actor, action="upload.started", target=product,
                         changes={"file_name": {"old": None, "new": file_name},
                                  "total_size": {"old": None, "new": total_size},
                                  "upload_id": {"old": None, "new": str(session.id)}})
    except Exception:
        _discard_bytes(session.id, session.multipart_upload_id)
        raise
    _know_received(session, [], 0)
    return session


def _check_staging_room(total_size: int) -> None:
    free = staging.free_bytes()
    if total_size + STAGING_MARGIN > free:
        raise InsufficientStorage(
            f"The server's upload staging area has {free:,} bytes free, too little for a {total_size:,}-byte file; "
            "nothing was started. Try again later, or ask an operator to free space in the staging directory "
            "(QARION_UPLOAD_STAGING_DIR).", details={"total_size": total_size, "free_bytes": free})


def _discard_bytes(session_id, multipart_upload_id: str = "") -> None:
    """Drop what an unfinished session holds: its staging file, or its multipart upload and
    any object an interrupted assembly completed under the session's key."""
    staging.remove(session_id)
    if multipart_upload_id:
        store = storage.artifact_store()
        key = storage.key_for_session(session_id)
        store.multipart_abort(key, multipart_upload_id)
        store.delete(key)


# --- chunks -------------------------------------------------------------------------------

def _refuse_unless_open(session: UploadSession, now) -> None:
    if session.status == SessionStatus.OPEN and session.expires_at <= now:
        UploadSession.objects.filter(pk=session.pk, status=SessionStatus.OPEN).update(status=SessionStatus.EXPIRED)
        session.status = SessionStatus.EXPIRED
    if session.status == SessionStatus.EXPIRED:
        raise UploadExpired("This upload session has expired; start a new upload session.")
    if session.status != SessionStatus.OPEN:
        raise UploadNotOpen(f"This upload session is {session.status}; chunks and completion need an open session.",
                            details={"status": session.status})


def chunk_receive(*, session: UploadSession, index_raw, content_length, content_digest, read) -> dict:
    """Receive chunk ``index_raw`` of ``session`` from ``read(n)``: let it in while the
    session is open, stream it to its offset, record it received: three queries for a chunk
    arriving the first time, none of them holding a lock while the bytes stream."""
    index = _chunk_index(session, index_raw)
    if session.transfer == Transfer.DIRECT:
        raise DirectTransfer("This session sends its parts straight to the bucket: ask for part URLs with POST "
                             f"/api/v1.0/catalog/products/{session.product_id}/model-artifacts/uploads/{session.id}/parts, then "
                             "PUT each part to its URL.")
    length = _chunk_length(session, index, content_length)
    want_digest = parse_content_digest(content_digest)
    _let_in(session, index)
    written, sha256 = _write_chunk(session, index, length, read, want_digest)
    return _record_received(session, index, written, sha256)


def _chunk_index(session: UploadSession, index_raw) -> int:
    try:
        index = int(index_raw)
        if str(index) != str(index_raw).strip():
            raise ValueError
    except (TypeError, ValueError):
        raise invalid({"chunk_index": ["The chunk index is a whole number."]}, code="chunk_index_out_of_range") from None
    if index < 0 or index >= session.total_chunks:
        raise invalid({"chunk_index": [f"Chunk indexes run from 0 to {session.total_chunks - 1}."]},
                      code="chunk_index_out_of_range")
    return index


def _chunk_length(session: UploadSession, index: int, content_length) -> int:
    if content_length in (None, ""):
        raise LengthRequired("Send the chunk with a Content-Length header.")
    try:
        length = int(content_length)
    except ValueError:
        raise LengthRequired("The Content-Length header is not a number.") from None
    expected = expected_chunk_size(session, index)
    if length != expected:
        raise invalid({"chunk": [f"Chunk {index} must be exactly {expected} bytes; this one is {length}."]},
                      code="chunk_size_mismatch")
    return length


def _let_in(session: UploadSession, index: int) -> None:
    """Let chunk ``index``'s bytes in only while the session is open, and move its expiry on.

    A chunk arriving for the first time needs nothing more (one conditional UPDATE): until it
    is recorded received, a concurrent complete finds it missing. A chunk arriving again (a
    retry, or a re-send of wrong bytes) is first marked ``writing`` under the session row's
    lock, so a concurrent complete either sees it missing or has already closed the session
    to it (the same lock serialises them)."""
    now = timezone.now()
    first_time = ~Exists(UploadChunk.objects.filter(session_id=OuterRef("pk"), index=index))
    if UploadSession.objects.filter(first_time, pk=session.pk, status=SessionStatus.OPEN, expires_at__gt=now).update(
            expires_at=now + _ttl(), updated_at=now):
        return
    with transaction.atomic():
        locked = UploadSession.objects.select_for_update().get(pk=session.pk)
        _refuse_unless_open(locked, now)
        UploadChunk.objects.filter(session_id=session.pk, index=index).update(
            state=ChunkState.WRITING, size=0, sha256="", updated_at=now)
        UploadSession.objects.filter(pk=session.pk).update(expires_at=now + _ttl(), updated_at=now)


def _write_chunk(session: UploadSession, index: int, length: int, read, want_digest: bytes | None) -> tuple[int, str]:
    try:
        if session.multipart_upload_id:  # straight into part index + 1 of the bucket's multipart upload
            written, digest = storage.artifact_store().multipart_put(
                storage.key_for_session(session.id), session.multipart_upload_id, index + 1, length, read)
        else:
            written, digest = staging.write_chunk(session.id, index * session.chunk_size, length, read)
    except storage.MultipartGone:
        raise UploadNotOpen("This upload session's bytes are no longer in the bucket; start a new upload session.") from None
    except storage.StoreUnavailable as exc:
        raise _store_down(f"storing chunk {index}", exc) from None
    except storage.ShortBody as exc:
        raise invalid({"chunk": [f"The body ended early ({exc}); send the chunk again."]}, code="chunk_size_mismatch") from None
    except FileNotFoundError:
        raise UploadNotOpen("This upload session no longer has staged bytes; start a new upload session.") from None
    except OSError as exc:
        if exc.errno not in _NO_SPACE:
            raise
        raise InsufficientStorage(
            f"The server's upload staging area is full, so chunk {index} was not stored. Send it again later; an "
            "operator must free space in the staging directory (QARION_UPLOAD_STAGING_DIR).") from None
    if want_digest is not None and digest.digest() != want_digest:
        raise invalid(
            {"Content-Digest": ["The chunk's sha-256 differs from its Content-Digest; send it again."],
             "expected": base64.b64encode(want_digest).decode(), "actual": base64.b64encode(digest.digest()).decode()},
            code="chunk_digest_mismatch",
        )
    return written, digest.hexdigest()


def _record_received(session: UploadSession, index: int, written: int, sha256: str) -> dict:
    """Record the chunk received (one upsert) and answer the receipt, read after it, with what
    has arrived so far (one query, which also tells whether the session is still open)."""
    UploadChunk.objects.bulk_create(
        [UploadChunk(session_id=session.pk, index=index, state=ChunkState.RECEIVED, size=written, sha256=sha256)],
        update_conflicts=True, unique_fields=["session", "index"], update_fields=["state", "size", "sha256", "updated_at"],
    )
    received = Q(chunks__state=ChunkState.RECEIVED)
    status, count, total = (
        UploadSession.objects.filter(pk=session.pk)
        .annotate(count=Count("chunks", filter=received), total=Sum("chunks__size", filter=received))
        .values_list("status", "count", "total").get()
    )
    if status in (SessionStatus.EXPIRED, SessionStatus.ABORTED):  # closed while the bytes streamed in
        session.status = status
        _refuse_unless_open(session, timezone.now())
    return {"chunk_index": index, "size": written, "sha256": sha256, "received_count": count,
            "received_bytes": total or 0}


# --- complete and assemble ----------------------------------------------------------------

def session_complete(*, actor, session: UploadSession, expected_sha256=None) -> UploadSession:
    """Move an open session whose chunks all arrived to ``assembling``. Returns the session;
    the caller enqueues the assembly (or runs it) once this has committed."""
    override = validate_sha256(expected_sha256) if expected_sha256 not in (None, "") else None
    if session.transfer == Transfer.DIRECT and session.status == SessionStatus.OPEN:
        sync_direct_parts(session)  # what the bucket holds, never the client's word
    with transaction.atomic():
        locked = UploadSession.objects.select_for_update().get(pk=session.pk)
        if locked.status in (SessionStatus.COMPLETED, SessionStatus.ASSEMBLING):
            return locked
        _refuse_unless_open(locked, timezone.now())
        received = set(locked.chunks.filter(state=ChunkState.RECEIVED).values_list("index", flat=True))
        missing = [i for i in range(locked.total_chunks) if i not in received]
        if missing:
            raise ValidationFailed(
                f"{len(missing)} chunk(s) have not arrived yet (first missing: {missing[0]}); send them, then complete.",
                code="missing_chunks", details={"missing": missing[:1000], "missing_count": len(missing)},
            )
        if override:
            locked.expected_sha256 = override
        locked.status = SessionStatus.ASSEMBLING
        locked.lease_until = None
        locked.error = None
        locked.save(update_fields=["expected_sha256", "status", "lease_until", "error", "updated_at"])
    _know_received(locked, sorted(received), locked.total_size)
    return locked


@dataclass
class _Lease:
    """This worker's hold on an assembling session: taken by ``_claim`` (which counts the
    attempt), kept alive by a heartbeat while the work runs, and the condition of every
    outcome it writes. The attempt number is the token: a worker that took over after the
    lease ran out counted a new attempt, so the old holder's writes match nothing."""

    session_id: object
    attempt: int

    def _mine(self):
        return UploadSession.objects.filter(pk=self.session_id, status=SessionStatus.ASSEMBLING,
                                            assembly_attempts=self.attempt)

    def renew(self) -> bool:
        until = timezone.now() + timedelta(seconds=settings.QARION_ASSEMBLY_LEASE_SECONDS)
        return bool(self._mine().update(lease_until=until))

    def settle(self, **fields) -> bool:
        """Write the outcome only while the lease is still ours."""
        return bool(self._mine().update(updated_at=timezone.now(), **fields))

    @contextlib.contextmanager
    def heartbeat(self):
        """Renew the lease every third of its length while the body runs, so the lease can be
        short (a dead worker is noticed within it) however long the work takes."""
        stop = threading.Event()

        def beat():
            try:
                while not stop.wait(max(1.0, settings.QARION_ASSEMBLY_LEASE_SECONDS / 3)):
                    try:
                        if not self.renew():
                            return  # finished, or taken over: nothing left to keep alive
                    except Exception:  # a busy database: the next beat tries again
                        log.debug("Could not renew the lease of upload %s", self.session_id, exc_info=True)
            finally:
                connection.close()

        thread = threading.Thread(target=beat, name=f"lease-{self.session_id}", daemon=True)
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join(timeout=30)

    def fail(self, code: str, message: str, details: dict | None = None) -> None:
        """Fail the session and drop its bytes; if the object store does not answer, the
        periodic expiry drops them later (the session stays marked as not purged)."""
        if not self.settle(status=SessionStatus.FAILED, lease_until=None,
                           error={"code": code, "message": message, "details": details or {}}):
            return
        multipart = UploadSession.objects.filter(pk=self.session_id).values_list("multipart_upload_id", flat=True)
        try:
            _discard_bytes(self.session_id, multipart.first() or "")
        except storage.StoreUnavailable as exc:
            log.warning("Could not free the bytes of failed upload %s yet: %s", self.session_id, exc)
            return
        UploadSession.objects.filter(pk=self.session_id).update(staging_purged=True)


class _LeaseLost(Exception):
    """Another worker took the session over after this one's lease ran out; it finishes."""


def _claim(session_id) -> _Lease | None:
    """Take the assembly lease: an assembling session nobody holds, or whose holder's lease
    ran out (a dead worker). None when it is not ours to take."""
    now = timezone.now()
    lease_until = now + timedelta(seconds=settings.QARION_ASSEMBLY_LEASE_SECONDS)
    taken = UploadSession.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now), pk=session_id, status=SessionStatus.ASSEMBLING
    ).update(lease_until=lease_until, assembly_attempts=F("assembly_attempts") + 1)
    return _Lease(session_id, attempt=0) if taken else None  # the caller reads the attempt with the session


def lease_wait(session_id) -> float | None:
    """Seconds until another holder's lease on an assembling session runs out (plus a
    moment), so a task that could not claim it can look again then; None when the session
    is not assembling any more."""
    rows = list(UploadSession.objects.filter(pk=session_id, status=SessionStatus.ASSEMBLING).values_list(
        "lease_until", flat=True)[:1])
    if not rows:
        return None
    remaining = (rows[0] - timezone.now()).total_seconds() if rows[0] else 0.0
    return max(remaining, 0.0) + 2.0


def session_assemble(session_id) -> float | None:
    """Hash the staged file once, compare with the expected sha256, then hand it to the
    artifact ingest (format, scan, the move into storage, the artifact) and mark the session
    completed in the ingest's transaction. Idempotent and restartable: a crash at any point
    followed by a retry ends in exactly one artifact or one clear failure.

    Returns None when done here, or, when another holder's lease stands in the way (a
    worker that may have died), the seconds after which to try again: recovery then takes
    no longer than the lease, with or without the periodic recovery."""
    entered = time.monotonic()
    lease = _claim(session_id)
    if lease is None:
        return lease_wait(session_id)
    session = UploadSession.objects.select_related("product__space__organization", "created_by", "version",
                                                   "training_run").get(pk=session_id)
    # Nobody else can claim the session before this lease runs out, so the count read now is ours.
    lease.attempt = session.assembly_attempts
    with lease.heartbeat():
        _assemble_claimed(session, lease, entered)
    return None


def _assemble_claimed(session: UploadSession, lease: _Lease, entered: float) -> None:
    if session.assembly_attempts > MAX_ASSEMBLY_ATTEMPTS:
        lease.fail("assembly_failed", "The upload could not be assembled after several attempts; start a new upload "
                   "session.")
        return
    store = storage.artifact_store()
    if session.multipart_upload_id:
        _assemble_multipart(session, lease, store)
        return
    source = _assembled_file(session, store)
    if source is None:
        lease.fail("staged_bytes_missing", "The uploaded bytes are no longer on the server; start a new upload session.")
        return
    if source.stat().st_size != session.total_size:
        lease.fail("size_mismatch", "The staged file has the wrong size; start a new upload session.")
        return
    started = time.monotonic()
    with store.staged(source) as staged:  # local storage makes the file durable beside the hashing pass
        sha256 = staging.hash_file(source, on_progress=lease.renew)
    hashed = time.monotonic()
    if session.expected_sha256 and sha256 != session.expected_sha256:
        _reopen_after_checksum_mismatch(session, lease, sha256)
        return
    if not _ingest(session, lease, staged, sha256):
        return
    staging.remove(session.id)  # what a copy into object storage left behind
    log.info("Assembled upload %s (%d bytes): claim and checks %.2f s, hash %.2f s, detect, move and record %.2f s",
             session.id, session.total_size, started - entered, hashed - started, time.monotonic() - hashed)


def _assemble_multipart(session: UploadSession, lease: _Lease, store) -> None:
    """Finish the bucket's multipart upload (the parts it lists, checked against the
    session), then hash the object by one streaming read and record the artifact. The object
    is stored under the session's own key, so a retry after a crash finds it (the multipart
    upload is then gone) instead of writing a second one."""
    key = storage.key_for_session(session.id)
    try:
        try:
            parts = store.multipart_parts(key, session.multipart_upload_id)
        except storage.MultipartGone:
            parts = None  # completed by an earlier attempt, or aborted: the object says which
        if parts is not None:
            problem = _parts_problem(session, parts)
            if problem:
                lease.fail("parts_missing", problem)
                return
            store.multipart_complete(key, session.multipart_upload_id, parts)
        try:
            stored_size = store.size(key)
        except storage.BytesMissing:
            lease.fail("staged_bytes_missing", "The uploaded parts are no longer in the bucket; start a new upload "
                       "session.")
            return
        if stored_size != session.total_size:
            lease.fail("size_mismatch", f"The bucket holds {stored_size} bytes for a {session.total_size}-byte file; "
                       "start a new upload session.")
            return
        sha256, wrong_parts = _hash_object(session, lease, store, key)
    except (storage.StoreUnavailable, storage.MultipartGone) as exc:
        # The lease runs out and the assembly is tried again (up to MAX_ASSEMBLY_ATTEMPTS).
        log.warning("Assembly of upload %s could not reach the object store: %s", session.id, exc)
        raise
    if wrong_parts:
        lease.fail("part_checksum_mismatch", f"{len(wrong_parts)} part(s) in the bucket differ from the sha-256 their "
                   f"URLs were issued for (first: chunk {wrong_parts[0]}); start a new upload session.",
                   {"chunks": wrong_parts[:100]})
        return
    if session.expected_sha256 and sha256 != session.expected_sha256:
        lease.fail("checksum_mismatch", "The file's sha256 differs from the expected one; the parts in the bucket "
                   "cannot be replaced once assembled, so start a new upload session.",
                   {"expected_sha256": session.expected_sha256, "actual_sha256": sha256})
        return
    _ingest(session, lease, storage.Stored(key), sha256)


def _parts_problem(session: UploadSession, parts: list) -> str | None:
    by_number = {part.number: part for part in parts}
    for index in range(session.total_chunks):
        part = by_number.get(index + 1)
        if part is None:
            return f"Chunk {index} is not in the bucket's multipart upload; start a new upload session."
        if part.size != expected_chunk_size(session, index):
            return (f"Chunk {index} is {part.size} bytes in the bucket instead of {expected_chunk_size(session, index)}; "
                    "start a new upload session.")
    if len(by_number) != session.total_chunks:
        return "The bucket holds parts beyond the file's last chunk; start a new upload session."
    return None


def _hash_object(session: UploadSession, lease: _Lease, store, key: str) -> tuple[str, list[int]]:
    """The object's sha256 by one streaming read (the lease renewed on the way) and, for
    direct transfer, the chunks whose bytes differ from the sha-256 their URLs were issued for
    (a bucket that checks part checksums never has any)."""
    whole = hashlib.sha256()
    declared = {}
    if session.transfer == Transfer.DIRECT:
        declared = dict(session.chunks.values_list("index", "sha256"))
    part, index, filled, wrong = hashlib.sha256(), 0, 0, []
    since_renewal = 0
    for piece in store.pieces(key, 0, session.total_size):
        whole.update(piece)
        since_renewal += len(piece)
        if since_renewal >= 256 * 1024 * 1024:
            lease.renew()
            since_renewal = 0
        if not declared:
            continue
        view = memoryview(piece)
        while view:
            take = min(len(view), expected_chunk_size(session, index) - filled)
            part.update(view[:take])
            filled += take
            view = view[take:]
            if filled == expected_chunk_size(session, index):
                if declared.get(index) != part.hexdigest():
                    wrong.append(index)
                part, index, filled = hashlib.sha256(), index + 1, 0
    return whole.hexdigest(), wrong


def _assembled_file(session: UploadSession, store) -> Path | None:
    """The session's finished bytes: its staging file or, when an earlier attempt moved that
    into (local) storage before it could finish, the stored file."""
    source = staging.staging_path(session.id)
    if source.exists():
        return source
    return store.stored_path(storage.key_for_session(session.id))


def _reopen_after_checksum_mismatch(session: UploadSession, lease: _Lease, sha256: str) -> None:
    """The bytes stay staged and the session open, so the client can re-send wrong chunks or
    complete again with the right checksum."""
    lease.settle(status=SessionStatus.OPEN, lease_until=None, error={
        "code": "checksum_mismatch",
        "message": "The file's sha256 differs from the expected one; re-send the wrong chunks or complete "
                   "again with the right checksum.",
        "details": {"expected_sha256": session.expected_sha256, "actual_sha256": sha256},
    })


def _ingest(session: UploadSession, lease: _Lease, staged, sha256: str) -> bool:
    """Create the artifact and complete the session in one transaction, while the lease is
    ours; True when this worker did."""
    def complete(ingested) -> None:
        if not lease.settle(status=SessionStatus.COMPLETED, artifact=ingested.artifact, lease_until=None,
                            error=ingested.make_current_skipped, completed_at=timezone.now()):
            raise _LeaseLost

    try:
        ingest.artifact_ingest(
            actor=session.created_by, product=session.product, staged=staged, source_session_id=session.id,
            file_name=session.file_name, content_type=session.content_type, size_bytes=session.total_size,
            sha256=sha256, kind=session.artifact_kind, version=session.version, training_run=session.training_run,
            make_current=session.make_current, on_recorded=complete,
        )
    except _LeaseLost:
        return False
    except DomainError as exc:
        lease.fail(exc.code, exc.message, exc.details)
        return False
    return True


def session_abort(*, actor, session: UploadSession) -> UploadSession:
    with transaction.atomic():
        locked = UploadSession.objects.select_for_update().get(pk=session.pk)
        if locked.status == SessionStatus.ABORTED:
            return locked
        if locked.status in (SessionStatus.ASSEMBLING, SessionStatus.COMPLETED):
            raise UploadNotOpen(f"This upload session is {locked.status} and can no longer be aborted.",
                                details={"status": locked.status})
        locked.status = SessionStatus.ABORTED
        locked.staging_purged = True
        locked.save(update_fields=["status", "staging_purged", "updated_at"])
        audit.record(actor=actor, action="upload.aborted", target=locked.product,
                     changes={"upload_id": {"old": str(locked.id), "new": None}})
    try:
        _discard_bytes(locked.id, locked.multipart_upload_id)
    except storage.StoreUnavailable as exc:  # the periodic clean-up aborts it once the store answers
        log.warning("Aborting upload %s: the object store did not answer (%s)", locked.id, exc)
        UploadSession.objects.filter(pk=locked.pk).update(staging_purged=False)
    return locked


# --- periodic work ------------------------------------------------------------------------

def expire_sessions(*, batch: int = 500) -> int:
    """Mark open sessions past their TTL expired and delete the staged bytes of every
    session that will never complete. Safe to run concurrently."""
    now = timezone.now()
    count = 0
    stale = list(UploadSession.objects.filter(status=SessionStatus.OPEN, expires_at__lte=now).values_list("pk", flat=True)[:batch])
    for pk in stale:
        if UploadSession.objects.filter(pk=pk, status=SessionStatus.OPEN, expires_at__lte=now).update(
            status=SessionStatus.EXPIRED, updated_at=now
        ):
            count += 1
    done = UploadSession.objects.filter(
        status__in=[SessionStatus.EXPIRED, SessionStatus.ABORTED, SessionStatus.FAILED], staging_purged=False
    ).values_list("pk", "multipart_upload_id")[:batch]
    for pk, multipart_upload_id in list(done):
        try:
            _discard_bytes(pk, multipart_upload_id)
        except storage.StoreUnavailable as exc:
            log.warning("Could not free the parts of upload %s yet: %s", pk, exc)
            continue
        UploadSession.objects.filter(pk=pk).update(staging_purged=True)
    return count


# A multipart upload is created a moment before its session row commits; one this old that no
# open or assembling session owns was left by a crash (or by another tool) and is aborted.
ORPHAN_MULTIPART_AGE = timedelta(hours=1)


def sweep_orphan_multipart_uploads() -> int:
    """Abort the bucket's multipart uploads under session keys that no open or assembling
    session owns; returns how many. Nothing to do with local storage."""
    store = storage.artifact_store()
    if not store.supports_multipart:
        return 0
    cutoff = timezone.now() - ORPHAN_MULTIPART_AGE
    pending = [p for p in store.multipart_pending() if p.initiated < cutoff and _SESSION_KEY.match(p.key)]
    owned = set(UploadSession.objects.filter(
        status__in=[SessionStatus.OPEN, SessionStatus.ASSEMBLING],
        multipart_upload_id__in=[p.upload_id for p in pending]).values_list("multipart_upload_id", flat=True))
    aborted = 0
    for orphan in pending:
        if orphan.upload_id not in owned:
            store.multipart_abort(orphan.key, orphan.upload_id)
            aborted += 1
    return aborted


_SESSION_KEY = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{32}$")


# --- direct transfer ------------------------------------------------------------------------

def _part_sha256(raw, position: int) -> str:
    """The hex sha-256 of a part given as base64 (as S3's x-amz-checksum-sha256 carries it)."""
    where = f"parts[{position}].sha256"
    if not isinstance(raw, str):
        raise invalid({where: ["Give the part's sha-256 as base64 (44 characters)."]})
    try:
        digest = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        digest = b""
    if len(digest) != 32:
        raise invalid({where: ["Give the part's sha-256 as base64 (44 characters)."]})
    return digest.hex()


def direct_part_urls(*, session: UploadSession, parts) -> list[dict]:
    """Presigned PUT URLs for the given parts of a direct-transfer session, each bound to the
    part's sha-256 so the bucket refuses other bytes. Re-asking for a part replaces it."""
    if session.transfer != Transfer.DIRECT:
        raise DirectTransfer("This session's chunks go through the server (PUT .../chunks/{index}); part URLs are "
                             "only for sessions started with \"transfer\": \"direct\".")
    if not isinstance(parts, list) or not parts:
        raise invalid({"parts": ["Give a list of parts: [{\"index\": 0, \"sha256\": \"<base64>\"}, ...]."]})
    if len(parts) > MAX_PART_URLS:
        raise invalid({"parts": [f"Ask for at most {MAX_PART_URLS} parts per call."]})
    wanted = {}
    for position, part in enumerate(parts):
        if not isinstance(part, dict) or set(part) - {"index", "sha256"}:
            raise invalid({f"parts[{position}]": ["Each part is {\"index\", \"sha256\"}."]})
        index = part.get("index")
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < session.total_chunks:
            raise invalid({f"parts[{position}].index": [f"Part indexes run from 0 to {session.total_chunks - 1}."]},
                          code="chunk_index_out_of_range")
        wanted[index] = _part_sha256(part.get("sha256"), position)
    now = timezone.now()
    with transaction.atomic():
        locked = UploadSession.objects.select_for_update().get(pk=session.pk)
        _refuse_unless_open(locked, now)
        # A part asked for again is not received until the bucket lists it again.
        UploadChunk.objects.bulk_create(
            [UploadChunk(session_id=session.pk, index=i, state=ChunkState.WRITING, size=0, sha256=h)
             for i, h in wanted.items()],
            update_conflicts=True, unique_fields=["session", "index"], update_fields=["state", "size", "sha256",
                                                                                    "updated_at"])
        UploadSession.objects.filter(pk=session.pk).update(expires_at=now + _ttl(), updated_at=now)
    session.__dict__.pop("_received_chunks", None)
    store, key = storage.artifact_store(), storage.key_for_session(session.id)
    expires_at = now + timedelta(seconds=PART_URL_TTL)
    answer = []
    for index, sha256_hex in wanted.items():
        checksum = storage.b64_of_hex(sha256_hex)
        url = store.multipart_part_url(key, session.multipart_upload_id, index + 1, checksum, PART_URL_TTL)
        answer.append({"index": index, "url": url, "method": "PUT", "expires_at": expires_at,
                       "headers": {"x-amz-checksum-sha256": checksum,
                                   "Content-Length": str(expected_chunk_size(session, index))}})
    return answer


MAX_SYNCED_SESSIONS = 20  # open direct sessions of one list whose parts are asked of the bucket


def sync_listed_direct_sessions(sessions) -> bool:
    """Learn from the bucket what arrived for the open direct-transfer sessions among the
    listed ``sessions`` (at most MAX_SYNCED_SESSIONS), so their progress is true; True when
    there were any (the caller reads the list again). A bucket that does not answer leaves
    the last known progress."""
    direct = [s for s in sessions if s.transfer == Transfer.DIRECT and s.status == SessionStatus.OPEN]
    for session in direct[:MAX_SYNCED_SESSIONS]:
        try:
            sync_direct_parts(session)
        except StorageUnavailable:
            log.warning("Could not learn the parts of upload %s from the bucket", session.pk)
    return bool(direct)


def sync_direct_parts(session: UploadSession) -> None:
    """Learn from the bucket (ListParts) which parts of a direct-transfer session arrived:
    a part of the right size whose URL was issued is received, anything else is not."""
    if session.transfer != Transfer.DIRECT or session.status != SessionStatus.OPEN:
        return
    try:
        listed = storage.artifact_store().multipart_parts(storage.key_for_session(session.id),
                                                          session.multipart_upload_id)
    except storage.MultipartGone:
        return
    except storage.StoreUnavailable as exc:
        raise _store_down("listing the parts that arrived", exc) from None
    arrived = {part.number - 1 for part in listed
               if 0 <= part.number - 1 < session.total_chunks and part.size == expected_chunk_size(session, part.number - 1)}
    now = timezone.now()
    last = session.total_chunks - 1
    for indexes, size in (([i for i in arrived if i != last], session.chunk_size),
                          ([last] if last in arrived else [], expected_chunk_size(session, last))):
        UploadChunk.objects.filter(session_id=session.pk, index__in=indexes).exclude(sha256="").update(
            state=ChunkState.RECEIVED, size=size, updated_at=now)
    UploadChunk.objects.filter(session_id=session.pk, state=ChunkState.RECEIVED).exclude(index__in=arrived).update(
        state=ChunkState.WRITING, size=0, updated_at=now)
    session.__dict__.pop("_received_chunks", None)


def recover_assemblies(*, stale_after: int = 30, leased: bool = False) -> list:
    """Sessions left ``assembling`` by a dead worker (lease ran out) or by a lost message
    (never claimed): returns their ids for re-enqueueing. With ``leased`` (a worker starting
    up, perhaps in place of one that died a moment ago), also those whose lease still runs:
    their task waits for the lease and takes over if nobody renews it."""
    now = timezone.now()
    sessions = UploadSession.objects.filter(status=SessionStatus.ASSEMBLING)
    if not leased:
        sessions = sessions.filter(Q(lease_until__lt=now) | Q(lease_until__isnull=True,
                                                                updated_at__lt=now - timedelta(seconds=stale_after)))
    return list(sessions.values_list("pk", flat=True)[:500])


def expire_if_due(session: UploadSession) -> None:
    """Report an open session past its TTL as expired at once, without waiting for the periodic task."""
    now = timezone.now()
    if session.status == SessionStatus.OPEN and session.expires_at <= now:
        if UploadSession.objects.filter(pk=session.pk, status=SessionStatus.OPEN).update(status=SessionStatus.EXPIRED):
            session.status = SessionStatus.EXPIRED
