"""Upload sessions: start, receive chunks, complete (assemble + checksum + artifact),
abort, expire, and recover assemblies whose worker died.

Every status change is a conditional UPDATE or happens under the session row's lock, so
it works the same on SQLite (IMMEDIATE transactions) and PostgreSQL (row locks)."""

import base64
import binascii
import logging
import math
import os
import re
import time
import unicodedata
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from catalog.models import Product
from governance import access, audit, policy
from modelrepo import artifacts as modelrepo_artifacts
from modelrepo import scanning
from modelrepo import services as modelrepo_services
from modelrepo import storage
from modelrepo.choices import ArtifactKind
from modelrepo.models import Artifact, ModelVersion, TrainingRun
from qarion.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed, invalid
from uploads import staging
from uploads.choices import ChunkState, SessionStatus
from uploads.models import UploadChunk, UploadSession

log = logging.getLogger(__name__)

MAX_CHUNKS = 10_000
MAX_ASSEMBLY_ATTEMPTS = 5
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
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


# --- validation helpers -------------------------------------------------------------------

def validate_file_name(name) -> str:
    if not isinstance(name, str) or not name.strip():
        raise invalid({"file_name": ["Give the file's name, such as model.safetensors."]})
    if len(name) > 255:
        raise invalid({"file_name": ["File names are at most 255 characters."]})
    if "/" in name or "\\" in name:
        raise invalid({"file_name": ["A file name cannot contain a path separator (/ or \\); send the base name only."]})
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name):
        raise invalid({"file_name": ["A file name cannot contain control characters."]})
    if name in (".", "..") or name != name.strip():
        raise invalid({"file_name": ["A file name cannot be . or .. or start or end with spaces."]})
    return name


def validate_sha256(value, field="expected_sha256") -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str) or not _SHA256.match(value):
        raise invalid({field: ["A SHA-256 is 64 hexadecimal characters."]})
    return value.lower()


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


def plan_chunks(total_size: int) -> tuple[int, int]:
    """(chunk_size, total_chunks): the configured size, rounded up only as far as needed
    to keep the session under MAX_CHUNKS chunks."""
    chunk_size = max(settings.QARION_UPLOAD_CHUNK_SIZE, math.ceil(total_size / MAX_CHUNKS))
    return chunk_size, math.ceil(total_size / chunk_size)


def expected_chunk_size(session: UploadSession, index: int) -> int:
    if index < session.total_chunks - 1:
        return session.chunk_size
    return session.total_size - session.chunk_size * (session.total_chunks - 1)


def _ttl() -> timedelta:
    return timedelta(seconds=settings.QARION_UPLOAD_SESSION_TTL)


def _optional_related(model, raw_id, product: Product, field: str):
    if raw_id in (None, ""):
        return None
    try:
        return model.objects.get(pk=uuid.UUID(str(raw_id)), product=product)
    except (ValueError, model.DoesNotExist):
        raise invalid({field: [f"No {model._meta.verbose_name} with this id exists on this record."]}) from None


# --- access -------------------------------------------------------------------------------

def session_visible_to(session: UploadSession, user) -> bool:
    if session.created_by_id == user.pk:
        return access.can(user, access.EDIT, session.product)
    return access.can(user, access.VIEW_OTHERS_SESSIONS, session.product)


def session_get(*, user, product: Product, session_id) -> UploadSession:
    """A session of ``product`` that ``user`` may act on (its creator with edit access, or
    a space/org admin); NotFound otherwise."""
    try:
        session = UploadSession.objects.select_related("product__space__organization").get(
            pk=uuid.UUID(str(session_id)), product=product
        )
    except (ValueError, UploadSession.DoesNotExist):
        raise NotFound("No upload session with this id exists on this record.") from None
    if not session_visible_to(session, user):
        raise NotFound("No upload session with this id exists on this record.")
    return session


def session_list(*, user, product: Product, statuses=(SessionStatus.OPEN, SessionStatus.ASSEMBLING)):
    qs = (UploadSession.objects.filter(product=product, status__in=statuses)
          .select_related("artifact__uploaded_by").order_by("-created_at"))
    if not access.can(user, access.VIEW_OTHERS_SESSIONS, product):
        qs = qs.filter(created_by=user)
    return qs


def received_chunks(session: UploadSession) -> tuple[list[int], int]:
    rows = session.chunks.filter(state=ChunkState.RECEIVED).values_list("index", "size")
    indexes, total = [], 0
    for index, size in rows:
        indexes.append(index)
        total += size
    return sorted(indexes), total


# --- start --------------------------------------------------------------------------------

def session_start(*, actor, product: Product, file_name, total_size, artifact_kind, content_type=None,
                  expected_sha256=None, version_id=None, training_run_id=None, make_current=False) -> UploadSession:
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
    if artifact_kind not in ArtifactKind.values:
        raise invalid({"artifact_kind": [f"Unknown kind; use one of: {', '.join(ArtifactKind.values)}."]})
    content_type = (content_type or "application/octet-stream").strip()
    if len(content_type) > 255 or not _CONTENT_TYPE.match(content_type):
        raise invalid({"content_type": ["Give a media type such as application/octet-stream."]})
    expected_sha256 = validate_sha256(expected_sha256)
    version = _optional_related(ModelVersion, version_id, product, "version_id")
    training_run = _optional_related(TrainingRun, training_run_id, product, "training_run_id")
    if not isinstance(make_current, bool):
        raise invalid({"make_current": ["Must be true or false."]})
    modelrepo_services.check_version_accepts_file(version=version, file_name=file_name, product=product)
    if make_current:
        # Refused before any bytes arrive, not after (DOMAIN.md, change_policy).
        policy.check_current_pointer(
            product, field="current_artifact", label=file_name, asked_by="make_current",
            hint="Upload the file without make_current, then propose it as the current artifact:")
    chunk_size, total_chunks = plan_chunks(total_size)
    session = UploadSession(
        product=product, created_by=actor, file_name=file_name, content_type=content_type, total_size=total_size,
        artifact_kind=artifact_kind, expected_sha256=expected_sha256, version=version, training_run=training_run,
        make_current=make_current, chunk_size=chunk_size, total_chunks=total_chunks, status=SessionStatus.OPEN,
        expires_at=timezone.now() + _ttl(),
    )
    staging.create(session.id, total_size)
    try:
        with transaction.atomic():
            session.save(force_insert=True)
            audit.record(actor=actor, action="upload.started", target=product,
                         changes={"file_name": {"old": None, "new": file_name},
                                  "total_size": {"old": None, "new": total_size},
                                  "upload_id": {"old": None, "new": str(session.id)}})
    except Exception:
        staging.remove(session.id)
        raise
    return session


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
    """Receive chunk ``index_raw`` of ``session`` from ``read(n)``."""
    try:
        index = int(index_raw)
        if str(index) != str(index_raw).strip():
            raise ValueError
    except (TypeError, ValueError):
        raise invalid({"chunk_index": ["The chunk index is a whole number."]}, code="chunk_index_out_of_range") from None
    if index < 0 or index >= session.total_chunks:
        raise invalid({"chunk_index": [f"Chunk indexes run from 0 to {session.total_chunks - 1}."]},
                      code="chunk_index_out_of_range")
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
    want_digest = parse_content_digest(content_digest)

    now = timezone.now()
    with transaction.atomic():
        locked = UploadSession.objects.select_for_update().get(pk=session.pk)
        _refuse_unless_open(locked, now)
        UploadChunk.objects.update_or_create(
            session=locked, index=index, defaults={"state": ChunkState.WRITING, "size": 0, "sha256": ""}
        )

    try:
        written, digest = staging.write_chunk(session.id, index * session.chunk_size, length, read)
    except staging.ShortBody as exc:
        raise invalid({"chunk": [f"The body ended early ({exc}); send the chunk again."]}, code="chunk_size_mismatch") from None
    except FileNotFoundError:
        raise UploadNotOpen("This upload session no longer has staged bytes; start a new upload session.") from None
    if want_digest is not None and digest.digest() != want_digest:
        raise invalid(
            {"Content-Digest": ["The chunk's sha-256 differs from its Content-Digest; send it again."],
             "expected": base64.b64encode(want_digest).decode(), "actual": base64.b64encode(digest.digest()).decode()},
            code="chunk_digest_mismatch",
        )
    sha256 = digest.hexdigest()
    with transaction.atomic():
        updated = UploadSession.objects.filter(pk=session.pk, status=SessionStatus.OPEN).update(
            expires_at=timezone.now() + _ttl(), updated_at=timezone.now()
        )
        if not updated:
            current = UploadSession.objects.get(pk=session.pk)
            _refuse_unless_open(current, timezone.now())
        UploadChunk.objects.filter(session_id=session.pk, index=index).update(
            state=ChunkState.RECEIVED, size=written, sha256=sha256
        )
        indexes, total = received_chunks(session)
    return {"chunk_index": index, "size": written, "sha256": sha256, "received_count": len(indexes),
            "received_bytes": total}


# --- complete and assemble ----------------------------------------------------------------

def session_complete(*, actor, session: UploadSession, expected_sha256=None) -> UploadSession:
    """Move an open session whose chunks all arrived to ``assembling``. Returns the session;
    the caller enqueues the assembly (or runs it) once this has committed."""
    override = validate_sha256(expected_sha256) if expected_sha256 not in (None, "") else None
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
    return locked


def _claim(session_id) -> timezone.datetime | None:
    """Take the assembly lease: an assembling session nobody holds, or whose holder's lease
    ran out (a dead worker). Returns the lease's end, or None when not ours to take."""
    now = timezone.now()
    lease_until = now + timedelta(seconds=settings.QARION_ASSEMBLY_LEASE_SECONDS)
    taken = UploadSession.objects.filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now), pk=session_id, status=SessionStatus.ASSEMBLING
    ).update(lease_until=lease_until, assembly_attempts=F("assembly_attempts") + 1)
    return lease_until if taken else None


def _renew(session_id, lease: dict) -> None:
    new_until = timezone.now() + timedelta(seconds=settings.QARION_ASSEMBLY_LEASE_SECONDS)
    if UploadSession.objects.filter(pk=session_id, status=SessionStatus.ASSEMBLING, lease_until=lease["until"]).update(
        lease_until=new_until
    ):
        lease["until"] = new_until


def _settle(session_id, held_until, **fields) -> bool:
    """Write the outcome only while the lease is still ours."""
    return bool(
        UploadSession.objects.filter(pk=session_id, status=SessionStatus.ASSEMBLING, lease_until=held_until).update(
            updated_at=timezone.now(), **fields
        )
    )


def _fail(session_id, held_until, code: str, message: str, details: dict | None = None) -> None:
    if _settle(session_id, held_until, status=SessionStatus.FAILED, lease_until=None,
               error={"code": code, "message": message, "details": details or {}}):
        staging.remove(session_id)


def session_assemble(session_id) -> None:
    """Hash the staged file once, compare with the expected sha256, move it into storage
    (a rename on local storage), fsync once, create the artifact. Idempotent and
    restartable: a crash at any point followed by a retry ends in exactly one artifact or
    one clear failure."""
    from modelrepo import formats

    entered = time.monotonic()
    until = _claim(session_id)
    if until is None:
        return
    lease = {"until": until}
    session = UploadSession.objects.select_related("product__space__organization", "created_by", "version",
                                                   "training_run").get(pk=session_id)
    if session.assembly_attempts > MAX_ASSEMBLY_ATTEMPTS:
        _fail(session_id, lease["until"], "assembly_failed",
              "The upload could not be assembled after several attempts; start a new upload session.")
        return
    store = storage.artifact_store()
    key = storage.key_for_session(session.id)
    source = staging.staging_path(session.id)
    if not source.exists():
        # Local storage moves the file in by a rename: an earlier attempt may have got that far.
        source = store.stored_path(key)
        if source is None:
            _fail(session_id, lease["until"], "staged_bytes_missing",
                  "The uploaded bytes are no longer on the server; start a new upload session.")
            return

    if source.stat().st_size != session.total_size:
        _fail(session_id, lease["until"], "size_mismatch", "The staged file has the wrong size; start a new upload session.")
        return
    started = time.monotonic()
    with store.staged(source) as staged:
        sha256 = staging.hash_file(source, on_progress=lambda: _renew(session_id, lease))
    hashed = time.monotonic()
    if session.expected_sha256 and sha256 != session.expected_sha256:
        _settle(session_id, lease["until"], status=SessionStatus.OPEN, lease_until=None, error={
            "code": "checksum_mismatch",
            "message": "The file's sha256 differs from the expected one; re-send the wrong chunks or complete "
                       "again with the right checksum.",
            "details": {"expected_sha256": session.expected_sha256, "actual_sha256": sha256},
        })
        return

    detection = formats.detect_path(source)
    # Pickle-bearing files are scanned by walking their opcodes (never loaded) before they move.
    scan = scanning.scan_path(source, detection.format)
    safety = scan.safety if detection.format in scanning.PICKLE_FORMATS else formats.safety_for(detection)
    key = store.save_staged(key, staged)

    try:
        with transaction.atomic():
            locked = UploadSession.objects.select_for_update().get(pk=session_id)
            if locked.status != SessionStatus.ASSEMBLING or locked.lease_until != lease["until"]:
                return  # another worker took over after our lease ran out; it finishes
            make_current = session.make_current and safety != "unsafe"
            refusal = _pointer_refusal(session, detection) if make_current else None
            artifact = modelrepo_services.artifact_create_from_upload(
                actor=session.created_by, product=session.product, session_id=session.id, file_name=session.file_name,
                content_type=session.content_type, size_bytes=session.total_size, sha256=sha256,
                kind=session.artifact_kind, version=session.version, training_run=session.training_run,
                storage_key=key, detected_format=detection.format, format_details=_details(detection),
                safety=safety, make_current=make_current and refusal is None,
            )
            if detection.format in scanning.PICKLE_FORMATS:
                modelrepo_artifacts.artifact_record_scan(artifact=artifact, safety=safety, details=scan.details())
            locked.status = SessionStatus.COMPLETED
            locked.artifact = artifact
            locked.lease_until = None
            locked.error = _make_current_skipped(session.product, artifact, refusal) if refusal else None
            locked.completed_at = timezone.now()
            locked.save(update_fields=["status", "artifact", "lease_until", "error", "completed_at", "updated_at"])
    except DomainError as exc:
        _fail(session_id, lease["until"], exc.code, exc.message, exc.details)
        store.delete(key)
        return
    staging.remove(session.id)  # what a copy into object storage left behind
    log.info("Assembled upload %s (%d bytes): claim and checks %.2f s, hash %.2f s, detect, move and record %.2f s",
             session.id, session.total_size, started - entered, hashed - started, time.monotonic() - hashed)


def _pointer_refusal(session: UploadSession, detection) -> DomainError | None:
    """Why the change policy would refuse making the assembled file current now, if it would.

    A session that asked for make_current was checked at start; the policy (or the record's
    risk class) may have changed while the bytes arrived, and the pickle rule can only be
    judged once the format is detected. Failing the upload then would throw away bytes that
    are fine to keep, so the file is attached without moving the pointer and the completed
    session says so in ``error`` (code ``make_current_skipped``)."""
    candidate = Artifact(file_name=session.file_name, detected_format=detection.format,
                         format_details=_details(detection))
    try:
        policy.check_current_pointer(session.product, field="current_artifact", label=session.file_name,
                                     artifacts=[candidate])
    except DomainError as exc:
        return exc
    return None


def _make_current_skipped(product: Product, artifact, refusal: DomainError) -> dict:
    details = {"reason": refusal.code}
    if isinstance(refusal, policy.ChangeRequestRequired):
        url = policy.change_request_url(product, {"current_artifact": str(artifact.pk)},
                                        title=f"Make {artifact.file_name} the current artifact")
        why = ("this space now requires an approved change request to move the current artifact of this "
               f"high-risk record. Propose it as the current artifact: {url}")
        details["change_request_url"] = url
    else:
        why = refusal.message
        details.update(refusal.details)
    return {"code": "make_current_skipped", "details": details,
            "message": f"{artifact.file_name} was uploaded but not made the current artifact: {why}"}


def _details(detection) -> dict:
    details = dict(detection.details or {})
    if detection.error:
        details["error"] = detection.error
    return details


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
    staging.remove(locked.id)
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
    ).values_list("pk", flat=True)[:batch]
    for pk in list(done):
        staging.remove(pk)
        UploadSession.objects.filter(pk=pk).update(staging_purged=True)
    return count


def recover_assemblies(*, stale_after: int = 30) -> list:
    """Sessions left ``assembling`` by a dead worker (lease ran out) or by a lost message
    (never claimed): returns their ids for re-enqueueing."""
    now = timezone.now()
    return list(
        UploadSession.objects.filter(status=SessionStatus.ASSEMBLING)
        .filter(Q(lease_until__lt=now) | Q(lease_until__isnull=True, updated_at__lt=now - timedelta(seconds=stale_after)))
        .values_list("pk", flat=True)[:500]
    )


def expire_if_due(session: UploadSession) -> None:
    """Report an open session past its TTL as expired at once, without waiting for the periodic task."""
    now = timezone.now()
    if session.status == SessionStatus.OPEN and session.expires_at <= now:
        if UploadSession.objects.filter(pk=session.pk, status=SessionStatus.OPEN).update(status=SessionStatus.EXPIRED):
            session.status = SessionStatus.EXPIRED
