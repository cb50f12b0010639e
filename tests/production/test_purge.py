"""Deleting an artifact and purging it: the API removes it from the record at once, and the
purge removes its object from the bucket: beat's hourly task once the retention period
(QARION_ARTIFACT_RETENTION_DAYS, 30 days by default) has passed, or an operator's
``manage.py purge_deleted_artifacts --older-than-days 0`` now."""

from botocore.exceptions import ClientError

from tests.production.conftest import API, MiB, Payload, upload


def _exists(s3, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def test_a_deleted_artifact_is_purged_from_the_bucket(production, api, s3, bucket_http, record):
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

    output = production.manage("purge_deleted_artifacts", "--older-than-days", "0")
    assert "deleted artifact(s)" in output
    assert not _exists(s3, production.bucket, key), f"the object {key} is still in the bucket after the purge"
