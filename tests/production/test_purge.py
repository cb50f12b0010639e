"""Deleting an artifact and purging it: the API removes it from the record at once, and the
worker's purge task removes its object from the bucket once the retention period
(QARION_ARTIFACT_RETENTION_DAYS, 30 days by default) has passed.

The product has no way to purge one artifact before its retention period ends (no admin
action, no command), so the removal from the bucket is only checked where the production
settings set the retention to 0 days; otherwise the test says so in its skip reason."""

import time

import pytest
from botocore.exceptions import ClientError

from tests.production.conftest import API, MiB, Payload, upload

PURGE_TIMEOUT = 120


def _exists(s3, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def test_a_deleted_artifact_is_purged_from_the_bucket(production, api, s3, bucket_http, record):
    retention = production.setting_int("QARION_ARTIFACT_RETENTION_DAYS", 30)
    if retention > 0:
        pytest.skip(f"QARION_ARTIFACT_RETENTION_DAYS is {retention} in the production settings and the product has "
                    "no way to purge a deleted artifact before then (no admin action or command); with 0 days the "
                    "purge task removes the object at once and this test checks it")
    payload = Payload(2 * MiB + 17)
    session = upload(api, bucket_http, record, payload, file_name="to-delete.bin")
    artifact_url = f"{API}/catalog/products/{record}/model-artifacts/{session['artifact_id']}"
    key = api[0].get(artifact_url).json()["storage"]["key"]
    assert _exists(s3, production.bucket, key)

    deleted = api[1].delete(artifact_url)
    assert deleted.status_code == 204, deleted.text
    for client in api:
        assert client.get(artifact_url).status_code == 404
        assert client.get(f"{artifact_url}/download", follow_redirects=False).status_code == 404

    production.send_task("modelrepo.tasks.purge_deleted_artifacts")
    deadline = time.monotonic() + PURGE_TIMEOUT
    for _ in range(PURGE_TIMEOUT * 2):
        if not _exists(s3, production.bucket, key) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert not _exists(s3, production.bucket, key), (
        f"the object {key} is still in the bucket {PURGE_TIMEOUT} s after the purge task was sent")
