"""Artifact downloads: full bodies, headers, byte ranges, conditional requests, redirects for
external references, missing bytes, access, content negotiation and the one-audit-event rule."""

import base64
import hashlib
import os

import pytest
from django.http import FileResponse
from rest_framework.test import APIClient

from catalog.models import AuditEvent
from modelrepo import downloads
from modelrepo.models import Artifact
from tests.modelrepo.test_artifacts_api import artifact_root, reference_body, store_artifact, stored  # noqa: F401

API = "/api/v1.0/catalog/products"
DATA = os.urandom(3 * 1024 * 1024 + 123)  # spans several read pieces


def download_url(artifact):
    return f"{API}/{artifact.product_id}/model-artifacts/{artifact.pk}/download"


def body_of(response) -> bytes:
    # Consuming a streamed body closes the response (and the file) through the test client.
    return b"".join(response.streaming_content) if response.streaming else response.content


def downloads_audited():
    return AuditEvent.objects.filter(action="artifact.downloaded").count()


@pytest.fixture
def artifact(stored):
    return stored(DATA, file_name="model weights “v1”.safetensors", content_type="application/x-safetensors")


def test_a_full_download_streams_the_file_with_its_headers(world, api_as, artifact):
    response = api_as("viewer").get(download_url(artifact))
    assert response.status_code == 200
    assert isinstance(response, FileResponse)  # keeps fileno() for sendfile
    assert body_of(response) == DATA
    digest = hashlib.sha256(DATA).digest()
    assert response["Content-Length"] == str(len(DATA))
    assert response["Content-Type"] == "application/x-safetensors"
    assert response["Content-Disposition"].startswith("attachment; filename")
    assert "model%20weights" in response["Content-Disposition"]  # non-ASCII name: RFC 5987 form
    assert response["ETag"] == f'"{digest.hex()}"'
    assert response["Repr-Digest"] == f"sha-256=:{base64.b64encode(digest).decode()}:"
    assert response["Accept-Ranges"] == "bytes"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Content-Encoding" not in response


def test_a_full_download_is_audited_once_and_later_ranges_are_not(world, api_as, artifact):
    client = api_as("viewer")
    body_of(client.get(download_url(artifact)))
    assert downloads_audited() == 1
    event = AuditEvent.objects.get(action="artifact.downloaded")
    assert event.actor_name == "viewer"
    assert event.changes["artifact_id"]["new"] == str(artifact.pk)
    resumed = client.get(download_url(artifact), HTTP_RANGE="bytes=1048576-")
    assert resumed.status_code == 206
    body_of(resumed)
    assert downloads_audited() == 1


def test_a_download_that_starts_with_a_range_from_zero_is_audited(world, api_as, artifact):
    client = api_as("viewer")
    body_of(client.get(download_url(artifact), HTTP_RANGE="bytes=0-1023"))
    assert downloads_audited() == 1
    body_of(client.get(download_url(artifact), HTTP_RANGE="bytes=1024-2047"))
    assert downloads_audited() == 1


@pytest.mark.parametrize("header,start,end", [
    ("bytes=0-99", 0, 99),  # first bytes
    ("bytes=1048570-2097160", 1048570, 2097160),  # middle, across read pieces
    ("bytes=-500", len(DATA) - 500, len(DATA) - 1),  # suffix
    ("bytes=3145700-", 3145700, len(DATA) - 1),  # open-ended
    ("bytes=100-99999999999", 100, len(DATA) - 1),  # end past the file: clipped
    ("bytes=-99999999999", 0, len(DATA) - 1),  # suffix longer than the file: all of it
])
def test_a_range_answers_206_with_exactly_those_bytes(world, api_as, artifact, header, start, end):
    response = api_as("viewer").get(download_url(artifact), HTTP_RANGE=header)
    assert response.status_code == 206
    assert body_of(response) == DATA[start:end + 1]
    assert response["Content-Range"] == f"bytes {start}-{end}/{len(DATA)}"
    assert response["Content-Length"] == str(end - start + 1)
    assert response["ETag"] == f'"{artifact.sha256}"'
    assert response["Content-Type"] == "application/x-safetensors"


@pytest.mark.parametrize("header", ["bytes=99999999-", f"bytes={len(DATA)}-", "bytes=-0"])
def test_an_unsatisfiable_range_answers_416(world, api_as, artifact, header):
    response = api_as("viewer").get(download_url(artifact), HTTP_RANGE=header)
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(DATA)}"
    assert downloads_audited() == 0


@pytest.mark.parametrize("header", ["bytes=0-1,5-9", "items=0-5", "bytes=9-1", "bytes=abc"])
def test_several_or_unreadable_ranges_answer_the_whole_file(world, api_as, artifact, header):
    response = api_as("viewer").get(download_url(artifact), HTTP_RANGE=header)
    assert response.status_code == 200
    assert body_of(response) == DATA


def test_if_range_with_another_etag_sends_the_whole_file(world, api_as, artifact):
    client = api_as("viewer")
    stale = client.get(download_url(artifact), HTTP_RANGE="bytes=10-19", HTTP_IF_RANGE='"' + "0" * 64 + '"')
    assert stale.status_code == 200
    assert body_of(stale) == DATA
    fresh = client.get(download_url(artifact), HTTP_RANGE="bytes=10-19", HTTP_IF_RANGE=f'"{artifact.sha256}"')
    assert fresh.status_code == 206
    assert body_of(fresh) == DATA[10:20]


def test_if_none_match_with_the_etag_answers_304_without_an_audit_event(world, api_as, artifact):
    client = api_as("viewer")
    response = client.get(download_url(artifact), HTTP_IF_NONE_MATCH=f'"{artifact.sha256}"')
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == f'"{artifact.sha256}"'
    assert downloads_audited() == 0
    other = client.get(download_url(artifact), HTTP_IF_NONE_MATCH='"' + "f" * 64 + '"')
    assert other.status_code == 200
    body_of(other)


@pytest.mark.parametrize("accept", ["application/octet-stream", "*/*", "application/x-safetensors", "text/html"])
def test_any_accept_header_gets_the_bytes(world, api_as, artifact, accept):
    response = api_as("viewer").get(download_url(artifact), HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert body_of(response) == DATA


def test_errors_answer_json_even_to_a_client_that_accepts_only_bytes(world, api_as, artifact):
    response = api_as("outsider").get(download_url(artifact), HTTP_ACCEPT="application/octet-stream")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


def test_a_signed_in_browser_session_can_download(world, client_as, artifact):
    response = client_as("viewer").get(download_url(artifact))
    assert response.status_code == 200
    assert body_of(response) == DATA


def test_no_access_answers_404_and_anonymous_401(world, api_as, artifact):
    assert api_as("outsider").get(download_url(artifact)).status_code == 404
    assert api_as("org_member").get(download_url(artifact)).status_code == 404
    assert APIClient().get(download_url(artifact)).status_code == 401
    assert downloads_audited() == 0


def test_a_deleted_artifact_cannot_be_downloaded(world, api_as, artifact):
    client = api_as("editor")
    assert client.delete(f"{API}/{artifact.product_id}/model-artifacts/{artifact.pk}").status_code == 204
    assert client.get(download_url(artifact)).status_code == 404


def test_missing_bytes_answer_404_and_mark_the_artifact_missing(world, api_as, artifact, artifact_root):
    (artifact_root / artifact.storage_key).unlink()
    response = api_as("viewer").get(download_url(artifact))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "artifact_bytes_missing"
    artifact.refresh_from_db()
    assert artifact.integrity == "missing"
    assert downloads_audited() == 0
    assert AuditEvent.objects.filter(action="artifact.integrity_changed").count() == 1


def test_an_external_https_reference_redirects_without_being_fetched(world, api_as):
    client = api_as("editor")
    created = client.post(f"{API}/{world.record.pk}/model-artifacts/references", reference_body(), format="json")
    assert created.status_code == 201
    artifact = Artifact.objects.get(pk=created.json()["id"])
    response = client.get(download_url(artifact))
    assert response.status_code == 302
    assert response["Location"] == "https://models.example.com/big.gguf"
    assert downloads_audited() == 1


def test_an_external_reference_that_is_not_http_answers_409_naming_the_uri(world, api_as):
    client = api_as("editor")
    created = client.post(f"{API}/{world.record.pk}/model-artifacts/references",
                          reference_body(uri="s3://bucket/models/big.gguf"), format="json")
    artifact = Artifact.objects.get(pk=created.json()["id"])
    response = client.get(download_url(artifact))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "artifact_external"
    assert "s3://bucket/models/big.gguf" in response.json()["error"]["message"]


def test_an_empty_file_downloads_and_refuses_every_range(world, api_as, stored):
    empty = stored(b"", file_name="empty.txt")
    client = api_as("viewer")
    response = client.get(download_url(empty))
    assert response.status_code == 200
    assert body_of(response) == b""
    assert response["Content-Length"] == "0"
    assert client.get(download_url(empty), HTTP_RANGE="bytes=0-").status_code == 416


def test_a_dangerous_content_type_is_not_passed_through(world, api_as, stored):
    odd = stored(b"<script>", file_name="x.html", content_type="text/html\r\nSet-Cookie: a=b")
    response = api_as("viewer").get(download_url(odd))
    assert response["Content-Type"] == "application/octet-stream"
    assert "Set-Cookie" not in response
    body_of(response)


@pytest.mark.parametrize("header,size,expected", [
    (None, 10, None),
    ("bytes=0-0", 10, (0, 0)),
    ("bytes=-3", 10, (7, 9)),
    ("bytes=8-", 10, (8, 9)),
    ("bytes = 2 - 4", 10, (2, 4)),
    ("bytes=5-2", 10, None),
    ("bytes=-", 10, None),
])
def test_parse_range(header, size, expected):
    result = downloads.parse_range(header, size)
    assert (None if result is None else (result.start, result.end)) == expected


def test_parse_range_refuses_ranges_outside_the_file():
    with pytest.raises(downloads.RangeNotSatisfiable):
        downloads.parse_range("bytes=10-", 10)


def test_head_answers_the_headers_without_an_audit_event(world, api_as, artifact):
    response = api_as("viewer").head(download_url(artifact))
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(DATA))
    assert response["ETag"] == f'"{artifact.sha256}"'
    body_of(response)
    assert downloads_audited() == 0
