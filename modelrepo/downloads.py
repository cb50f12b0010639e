"""Serving an artifact's bytes.

Local files stream without being read into memory: a full download is a ``FileResponse``
on the open file (it keeps ``fileno()``, so gunicorn can hand it to ``sendfile``), a range is
a generator reading fixed-size pieces from an offset. Object storage answers 302 to a
short-lived presigned URL; an external reference answers 302 to its URI when that is
http(s) (the server never fetches it). Conditional requests: ``If-None-Match`` with the
ETag answers 304; ``If-Range`` that does not match the ETag turns a range request into a
full one.

Ranges: one ``bytes=a-b``, ``a-`` or ``-n`` range answers 206 with ``Content-Range``; an
unsatisfiable one 416 with ``Content-Range: bytes */<size>``. Several ranges in one header
are answered with the whole file (200), which RFC 9110 allows (a server may ignore Range);
so is a header this server does not understand.

Auditing: one ``artifact.downloaded`` event per download. A client that resumes or fetches
in parallel sends several range requests for one download, so only a request that starts
at byte 0 (no range, or a range from 0) counts; 304, 416, HEAD and errors never do."""

import base64
import itertools
import os
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.http import FileResponse, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.utils.http import content_disposition_header

from common.errors import Conflict, NotFound
from modelrepo import artifacts as artifact_services
from modelrepo import storage
from modelrepo.artifacts import REDIRECT_SCHEMES
from modelrepo.choices import UploadStatus
from modelrepo.models import Artifact

READ_SIZE = storage.READ_SIZE  # bytes per read where the server cannot hand the file to sendfile
_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)
_SAFE_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(\s*;[^\r\n\x00]*)?\Z")


class RangeNotSatisfiable(Exception):
    pass


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The single byte range ``header`` asks for within a file of ``size`` bytes; None when
    the whole file is to be sent (no header, several ranges, or a header this server does
    not understand). Raises RangeNotSatisfiable for a range that lies outside the file."""
    if not header or "," in header:
        return None
    match = _RANGE.match(header)
    if match is None:
        return None
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":  # suffix: the last n bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable
        return ByteRange(max(size - suffix, 0), size - 1)
    start = int(first)
    if last != "" and int(last) < start:
        return None  # syntactically invalid: ignored, as RFC 9110 asks
    if start >= size:
        raise RangeNotSatisfiable
    end = min(int(last), size - 1) if last != "" else size - 1
    return ByteRange(start, end)


def etag_of(artifact: Artifact) -> str:
    return f'"{artifact.sha256}"'


def repr_digest_of(artifact: Artifact) -> str:
    return "sha-256=:" + base64.b64encode(bytes.fromhex(artifact.sha256)).decode() + ":"


def _etag_in(header: str, etag: str) -> bool:
    """Weak comparison, as If-None-Match uses."""
    if header.strip() == "*":
        return True
    tags = [t.strip() for t in header.split(",")]
    return any((t[2:] if t.startswith("W/") else t) == etag for t in tags)


def _media_type(artifact: Artifact) -> str:
    value = artifact.content_type or ""
    return value if _SAFE_MEDIA_TYPE.match(value) else "application/octet-stream"


def _common_headers(response: HttpResponse, artifact: Artifact) -> HttpResponse:
    response["ETag"] = etag_of(artifact)
    response["Repr-Digest"] = repr_digest_of(artifact)
    response["Accept-Ranges"] = "bytes"
    response["X-Content-Type-Options"] = "nosniff"
    # Authorised content: private caches only, and revalidate (a 304 costs one request).
    response["Cache-Control"] = "private, no-cache"
    return response


def _file_headers(response: HttpResponse, artifact: Artifact, length: int) -> HttpResponse:
    _common_headers(response, artifact)
    response["Content-Type"] = _media_type(artifact)
    response["Content-Length"] = str(length)
    response["Content-Disposition"] = content_disposition_header(True, artifact.file_name)
    # Even if a browser were to render it, the file runs no script and loads nothing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _starts_at_zero(request, size: int) -> bool:
    try:
        byte_range = parse_range(request.headers.get("Range"), size)
    except RangeNotSatisfiable:
        return False
    return byte_range is None or byte_range.start == 0


def _audit(request, artifact: Artifact, delivery: str, byte_range: ByteRange | None = None) -> None:
    if request.method != "GET":
        return
    label = f"bytes={byte_range.start}-{byte_range.end}" if byte_range is not None else None
    artifact_services.artifact_record_download(actor=request.user, artifact=artifact, delivery=delivery,
                                               byte_range=label)


def _redirect(request, artifact: Artifact, url: str, delivery: str) -> HttpResponse:
    if _starts_at_zero(request, artifact.size_bytes):
        _audit(request, artifact, delivery)
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = "no-store"  # the target may be a short-lived signed URL
    response["ETag"] = etag_of(artifact)
    response["Repr-Digest"] = repr_digest_of(artifact)
    return response


def _external(request, artifact: Artifact) -> HttpResponse:
    uri = artifact.external_uri
    if urlsplit(uri).scheme.lower() not in REDIRECT_SCHEMES:
        raise Conflict(
            f"This artifact is stored outside the repository at {uri}; fetch it from there with a client for that "
            "storage.",
            code="artifact_external", details={"uri": uri},
        )
    return _redirect(request, artifact, uri, "external_redirect")


def _bytes_missing(artifact: Artifact) -> NotFound:
    artifact_services.artifact_mark_bytes_missing(artifact=artifact)
    return NotFound(
        "The stored bytes of this artifact are missing; ask an administrator to restore them, or upload the file again.",
        code="artifact_bytes_missing", details={"artifact_id": str(artifact.pk)},
    )


def _range_from_store(request, artifact: Artifact, store) -> HttpResponse | None:
    """206 (or 416) for the Range of a request whose If-Range matched, streamed from the store
    in pieces; None when the header asks for what the whole file answers (several ranges)."""
    size = artifact.size_bytes
    try:
        byte_range = parse_range(request.headers.get("Range"), size)
    except RangeNotSatisfiable:
        response = _common_headers(HttpResponse(status=416), artifact)
        response["Content-Range"] = f"bytes */{size}"
        return response
    if byte_range is None:
        return None
    pieces = store.pieces(artifact.storage_key, byte_range.start, byte_range.length)
    try:
        first = next(pieces, b"")
    except storage.BytesMissing:
        raise _bytes_missing(artifact) from None
    response = StreamingHttpResponse(itertools.chain([first], pieces), status=206)
    response._resource_closers.append(pieces.close)
    _file_headers(response, artifact, byte_range.length)
    response["Content-Range"] = f"bytes {byte_range.start}-{byte_range.end}/{size}"
    if byte_range.start == 0:
        _audit(request, artifact, "storage_range", byte_range)
    return response


def download_response(request, artifact: Artifact) -> HttpResponse:
    """The response for GET (or HEAD) of ``artifact``'s download, which the caller may view."""
    if artifact.upload_status == UploadStatus.EXTERNAL or artifact.external_uri:
        return _external(request, artifact)
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match and _etag_in(if_none_match, etag_of(artifact)):
        # Answered here, before any redirect: the client's copy is current wherever the bytes live.
        return _common_headers(HttpResponse(status=304), artifact)
    store = storage.artifact_store()
    url = store.presigned_url(artifact.storage_key, file_name=artifact.file_name, content_type=_media_type(artifact))
    if url is not None:
        if_range = request.headers.get("If-Range")
        if request.headers.get("Range") and if_range and if_range.strip() == etag_of(artifact):
            # A resumed download: the bucket would compare If-Range with its own ETag and send the
            # whole file, so the range is answered here, streamed from the bucket.
            ranged = _range_from_store(request, artifact, store)
            if ranged is not None:
                return ranged
        return _redirect(request, artifact, url, "storage_redirect")
    try:
        handle = store.open(artifact.storage_key)
    except storage.BytesMissing:
        raise _bytes_missing(artifact) from None
    try:
        size = os.fstat(handle.fileno()).st_size
        range_header = request.headers.get("Range")
        if_range = request.headers.get("If-Range")
        if if_range and if_range.strip() != etag_of(artifact):
            range_header = None  # the client's partial copy is of another file: send it all
        try:
            byte_range = parse_range(range_header, size)
        except RangeNotSatisfiable:
            handle.close()
            response = _common_headers(HttpResponse(status=416), artifact)
            response["Content-Range"] = f"bytes */{size}"
            return response
        if byte_range is None:
            response = FileResponse(handle, status=200)
            response.block_size = READ_SIZE
            _file_headers(response, artifact, size)
        else:
            response = StreamingHttpResponse(storage.read_pieces(handle, byte_range.start, byte_range.length),
                                             status=206)
            response._resource_closers.append(handle.close)
            _file_headers(response, artifact, byte_range.length)
            response["Content-Range"] = f"bytes {byte_range.start}-{byte_range.end}/{size}"
        if byte_range is None or byte_range.start == 0:
            _audit(request, artifact, "local", byte_range)
    except BaseException:
        handle.close()
        raise
    return response


# --- Releases: the signature and the whole folder as one archive ---------------------------

def signature_response(request, version) -> HttpResponse:
    """model.sig of a released version (the Sigstore bundle, JSON)."""
    from modelrepo import signing

    response = HttpResponse(version.signature.encode(), content_type="application/json")
    response["Content-Disposition"] = content_disposition_header(True, signing.SIGNATURE_FILE_NAME)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-cache"
    return response


_TAR_BLOCK = 512


def _tar_header(name: str, size: int, mtime: int) -> bytes:
    import tarfile

    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, mtime, 0o644
    return info.tobuf(format=tarfile.PAX_FORMAT)


def _tar_stream(folder: str, entries, mtime: int):
    """A tar archive, streamed: for each (name, size, pieces) a header, the bytes as the
    ``pieces()`` iterator yields them in fixed-size pieces, padding; then the two zero blocks
    that end an archive."""
    import tarfile

    folder_info = tarfile.TarInfo(folder)
    folder_info.type, folder_info.mode, folder_info.mtime = tarfile.DIRTYPE, 0o755, mtime
    yield folder_info.tobuf(format=tarfile.PAX_FORMAT)
    for name, size, pieces in entries:
        yield _tar_header(f"{folder}/{name}", size, mtime)
        sent = 0
        for piece in pieces():
            sent += len(piece)
            yield piece
        if sent != size:
            raise OSError(f"{name} is shorter than its recorded size")
        if size % _TAR_BLOCK:
            yield b"\0" * (_TAR_BLOCK - size % _TAR_BLOCK)
    yield b"\0" * (_TAR_BLOCK * 2)


def release_archive_response(request, version, artifacts) -> HttpResponse:
    """The released folder as a tar: exactly the signed files plus model.sig, under one folder
    named as the signature's subject, so ``model_signing verify`` accepts it unpacked."""
    from modelrepo import signing

    try:
        manifest = signing.verify(version.signature)
    except signing.SignatureInvalid as exc:
        raise Conflict(
            f"This release's signature does not verify on this server, so its files are not served as a signed "
            f"release: {exc} Ask an administrator to check the release signing key (QARION_SIGNING_KEY_FILE must be "
            "the same on every node), or run Verify on the version page.",
            code="signature_invalid", details={"version_id": str(version.pk)}) from None
    by_name = {a.file_name: a for a in artifacts}
    store = storage.artifact_store()
    entries = []
    for resource in manifest.resources:
        artifact = by_name.get(resource.name)
        if artifact is None:
            raise NotFound(f"The signed file {resource.name} is no longer stored; ask an administrator to restore it.",
                           code="artifact_bytes_missing")
        if not store.exists(artifact.storage_key):
            raise _bytes_missing(artifact)
        entries.append((artifact.file_name, artifact.size_bytes,
                        lambda key=artifact.storage_key, size=artifact.size_bytes: store.pieces(key, 0, size)))
    signature = version.signature.encode()
    entries.append((signing.SIGNATURE_FILE_NAME, len(signature), lambda: [signature]))
    mtime = int(version.released_at.timestamp()) if version.released_at else 0
    response = StreamingHttpResponse(_tar_stream(manifest.model_name, entries, mtime), content_type="application/x-tar")
    response["Content-Disposition"] = content_disposition_header(True, f"{manifest.model_name}.tar")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-cache"
    if request.method == "GET":
        for artifact in artifacts:
            artifact_services.artifact_record_download(actor=request.user, artifact=artifact, delivery="release_archive")
    return response
