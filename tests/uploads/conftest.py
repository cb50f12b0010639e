import base64
import hashlib
import os

import pytest

MiB = 1024 * 1024


@pytest.fixture
def small_chunks(settings, local_storage):
    """1 MiB chunks (the smallest allowed), so multi-chunk files stay small in tests; only local
    storage has them (object storage's parts are at least 5 MiB), so these tests pin it."""
    settings.QARION_UPLOAD_CHUNK_SIZE = MiB
    return MiB


def uploads_url(product_id, *rest):
    base = f"/api/v1.0/catalog/products/{product_id}/model-artifacts/uploads"
    return "/".join([base, *map(str, rest)])


def payload(size: int, seed: int = 1) -> bytes:
    return hashlib.shake_256(seed.to_bytes(4, "big")).digest(size) if size <= 64 * MiB else os.urandom(size)


def digest_header(data: bytes) -> str:
    return f"sha-256=:{base64.b64encode(hashlib.sha256(data).digest()).decode()}:"


class Uploader:
    def __init__(self, client, product_id):
        self.client = client
        self.product_id = product_id

    def start(self, **body):
        body.setdefault("content_type", "application/octet-stream")
        body.setdefault("artifact_kind", "weights")
        return self.client.post(uploads_url(self.product_id), body, format="json")

    def put(self, upload_id, index, data: bytes, **headers):
        return self.client.generic("PUT", uploads_url(self.product_id, upload_id, "chunks", index), data,
                                   content_type="application/octet-stream", **headers)

    def complete(self, upload_id, **body):
        return self.client.post(uploads_url(self.product_id, upload_id, "complete"), body, format="json")

    def get(self, upload_id):
        return self.client.get(uploads_url(self.product_id, upload_id))

    def abort(self, upload_id):
        return self.client.delete(uploads_url(self.product_id, upload_id))

    def send_all(self, upload_id, data: bytes, chunk_size: int, order=None):
        n = (len(data) + chunk_size - 1) // chunk_size
        for i in order or range(n):
            response = self.put(upload_id, i, data[i * chunk_size:(i + 1) * chunk_size])
            assert response.status_code == 200, response.content

    def upload(self, data: bytes, file_name="model.bin", chunk_size=MiB, **start):
        started = self.start(file_name=file_name, total_size=len(data), **start)
        assert started.status_code == 201, started.content
        upload_id = started.json()["id"]
        self.send_all(upload_id, data, started.json()["chunk_size"])
        return upload_id, self.complete(upload_id)


@pytest.fixture
def uploader(api_as, world, small_chunks):
    def _make(username="editor", record=None):
        return Uploader(api_as(username), (record or world.record).pk)
    return _make


@pytest.fixture(autouse=True)
def _assemble_in_process(settings):
    """These tests run inside one database transaction that a worker process cannot see,
    so assembly runs in-process whatever broker the environment names; the integration
    tests exercise real workers."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
