"""Uploads across two web nodes on object storage: the chunks of one upload alternate between
the nodes (server transfer) or go straight to the bucket (direct transfer), completion is asked
of one node and polled on the other, and no byte lands on a node's disk. Downloads answer a
redirect to the bucket from either node."""

import hashlib
from urllib.parse import urlsplit

import pytest

from tests.production.conftest import API, MiB, Payload, files_left_of, object_sha256, session_key, upload

SIZE = 64 * MiB


def download_path(product_id: str, artifact_id: str) -> str:
    return f"{API}/catalog/products/{product_id}/model-artifacts/{artifact_id}/download"


def check_stored_and_downloadable(production, api, s3, bucket_http, record: str, session: dict, payload: Payload):
    artifact_id = session["artifact_id"]
    artifact = api[1].get(f"{API}/catalog/products/{record}/model-artifacts/{artifact_id}")
    assert artifact.status_code == 200, artifact.text
    artifact = artifact.json()
    assert artifact["sha256"] == payload.sha256 and artifact["size_bytes"] == payload.size
    assert artifact["storage"]["backend"] == "s3", artifact["storage"]
    key = artifact["storage"]["key"]
    assert key == session_key(session["id"]), f"the artifact is stored under {key}, not under its session's key"

    # In the bucket under the artifact's key, with the right bytes.
    assert object_sha256(s3, production.bucket, key) == (payload.sha256, payload.size)
    # Nothing of it on either node's disk.
    chunk_size = session["chunk_size"]
    sizes = {payload.size, chunk_size, payload.size - chunk_size * (session["total_chunks"] - 1)}
    assert files_left_of(production.data_dirs, upload_id=session["id"], sizes=sizes) == []

    # A download through the node that did not start the upload: a redirect to the bucket.
    response = api[1].get(download_path(record, artifact_id), follow_redirects=False)
    assert response.status_code == 302, f"{response.status_code} {response.text[:500]}"
    etag = response.headers["ETag"]
    assert etag == f'"{payload.sha256}"'
    location = response.headers["Location"]
    endpoint = urlsplit(production.endpoint)
    target = urlsplit(location)
    assert target.port == endpoint.port and (target.hostname == endpoint.hostname
                                            or target.hostname.endswith("." + endpoint.hostname)), (
        f"the download redirects to {location}, not to the bucket at {production.endpoint}")

    digest, received = hashlib.sha256(), 0
    with bucket_http.stream("GET", location) as followed:
        assert followed.status_code == 200, followed.read()[:500]
        for piece in followed.iter_bytes(MiB):
            digest.update(piece)
            received += len(piece)
    assert (digest.hexdigest(), received) == (payload.sha256, payload.size)

    ranged = bucket_http.get(location, headers={"Range": "bytes=100-199"})
    assert ranged.status_code == 206, ranged.text[:500]
    assert ranged.content == payload.read(100, 100)

    for client in api:
        not_modified = client.get(download_path(record, artifact_id), headers={"If-None-Match": etag},
                                  follow_redirects=False)
        assert not_modified.status_code == 304, f"{client.base_url}: {not_modified.status_code}"


def test_server_transfer_alternating_between_nodes(production, api, s3, bucket_http, record):
    payload = Payload(SIZE)
    session = upload(api, bucket_http, record, payload, file_name="server-transfer.bin", transfer="server")
    assert session["total_chunks"] >= 2, "the chunks of one upload must reach both nodes"
    check_stored_and_downloadable(production, api, s3, bucket_http, record, session, payload)
    pending = s3.list_multipart_uploads(Bucket=production.bucket, Prefix=session_key(session["id"]))
    assert pending.get("Uploads", []) == []


def test_direct_transfer_straight_to_the_bucket(production, api, s3, bucket_http, record):
    if production.settings.get("QARION_UPLOAD_DIRECT", "").lower() not in ("1", "true", "yes", "on"):
        pytest.fail("The production env file does not set QARION_UPLOAD_DIRECT=true.")
    payload = Payload(SIZE)
    session = upload(api, bucket_http, record, payload, file_name="direct-transfer.bin", transfer="direct")
    assert session["transfer"] == "direct"
    assert session["received_chunks"] == list(range(session["total_chunks"]))
    check_stored_and_downloadable(production, api, s3, bucket_http, record, session, payload)
    pending = s3.list_multipart_uploads(Bucket=production.bucket, Prefix=session_key(session["id"]))
    assert pending.get("Uploads", []) == []
