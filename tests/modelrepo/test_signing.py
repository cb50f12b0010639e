"""Signed manifests: the release archive and model.sig verify with the standard
``model_signing`` verifier (pinned in the test extra), and signing reads no artifact bytes."""

import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from modelrepo import signing
from modelrepo.models import ModelVersion
from tests.modelrepo.test_artifacts_api import artifact_root, store_artifact  # noqa: F401

API = "/api/v1.0/catalog/products"
VERIFIER = Path(sys.executable).parent / "model_signing"


@pytest.fixture(autouse=True)
def signing_key(settings, tmp_path):
    settings.QARION_SIGNING_KEY = None
    settings.QARION_SIGNING_KEY_PATH = tmp_path / "keys" / "signing-key.pem"
    settings.QARION_SIGNING_TRUSTED_KEYS_FILE = tmp_path / "keys" / "trusted.pem"
    yield settings.QARION_SIGNING_KEY_PATH


def _release(world, api_as, files: dict, label="1.0.0"):
    version = ModelVersion.objects.create(product=world.record, label=label)
    for name, data in files.items():
        store_artifact(world.record, world.editor, data, file_name=name, version=version)
    response = api_as("editor").post(f"{API}/{world.record.pk}/model-versions/{version.pk}/release")
    assert response.status_code == 200, response.json()
    return version, response.json()


def _download_folder(api_as, world, version, into: Path) -> Path:
    response = api_as("viewer").get(f"{API}/{world.record.pk}/model-versions/{version.pk}/download-all")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-tar"
    body = b"".join(response.streaming_content)
    with tarfile.open(fileobj=io.BytesIO(body)) as archive:
        archive.extractall(into, filter="data")
    (folder,) = list(into.iterdir())
    return folder


def _verify(folder: Path, public_key: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(VERIFIER), "verify", "key", str(folder), "--public_key", str(public_key),
         "--signature", str(folder / "model.sig")],
        capture_output=True, text=True, timeout=120,
    )


@pytest.mark.parametrize("files", [
    {"model.safetensors": b"\x01" * 5000},
    {"model.safetensors": b"weights" * 3000, "config.json": b'{"layers": 2}', "tokenizer.json": b"{}"},
], ids=["single-file", "multi-file"])
def test_the_standard_verifier_accepts_a_downloaded_release_and_refuses_a_flipped_byte(
        world, api_as, artifact_root, tmp_path, files):  # noqa: F811
    version, body = _release(world, api_as, files)
    assert body["status"] == "released" and body["signature_key_id"] == signing.current_key_id()
    key = api_as("viewer").get("/api/v1.0/signing/public-key.pem")
    assert key.status_code == 200
    public_key = tmp_path / "public.pem"
    public_key.write_bytes(key.content)

    folder = _download_folder(api_as, world, version, tmp_path / "download")
    assert sorted(p.name for p in folder.iterdir()) == sorted([*files, "model.sig"])
    sig = api_as("viewer").get(body["signature_url"])
    assert sig.status_code == 200 and sig.content == (folder / "model.sig").read_bytes()

    ok = _verify(folder, public_key)
    assert ok.returncode == 0, ok.stderr

    victim = folder / sorted(files)[0]
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x01
    victim.write_bytes(bytes(data))
    bad = _verify(folder, public_key)
    assert bad.returncode != 0
    assert "Hash mismatch" in bad.stderr or "mismatch" in bad.stderr.lower()


def test_the_bundle_has_the_model_signing_shape(world, api_as, artifact_root):  # noqa: F811
    version, _ = _release(world, api_as, {"b.bin": b"b", "a.bin": b"a"})
    version.refresh_from_db()
    bundle = json.loads(version.signature)
    assert bundle["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
    assert bundle["dsseEnvelope"]["payloadType"] == "application/vnd.in-toto+json"
    manifest = signing.verify(version.signature)
    assert [r.name for r in manifest.resources] == ["a.bin", "b.bin"]
    assert manifest.model_name == f"{world.record.slug}-1.0.0"


def test_signing_reads_no_artifact_bytes(world, api_as, artifact_root, monkeypatch):  # noqa: F811
    version = ModelVersion.objects.create(product=world.record, label="2.0.0")
    store_artifact(world.record, world.editor, b"x" * 1000, file_name="big.bin", version=version)

    def refuse(*args, **kwargs):
        raise AssertionError("signing opened the stored bytes")

    # The artifact store and its storage only: static files (a manifest on disk) may still be read.
    from modelrepo import storage as artifact_storage

    monkeypatch.setattr(artifact_storage.artifact_storage(), "open", refuse)
    for method in ("open", "pieces"):
        monkeypatch.setattr(artifact_storage.LocalStore, method, refuse)
    monkeypatch.setattr("modelrepo.scrub.hash_stored", refuse)
    response = api_as("editor").post(f"{API}/{world.record.pk}/model-versions/{version.pk}/release")
    assert response.status_code == 200


def test_the_key_is_generated_once_with_mode_0600(world, signing_key):
    pem = signing.public_key_pem()
    assert signing_key.exists() and (signing_key.stat().st_mode & 0o777) == 0o600
    signing._private_key_cached.cache_clear()
    assert signing.public_key_pem() == pem


def test_a_signature_by_an_earlier_trusted_key_still_verifies(settings, tmp_path):
    old_bundle, old_id = signing.sign("m", [signing.Resource("a", "00" * 32)])
    old_public = signing.public_key_pem()
    settings.QARION_SIGNING_KEY_PATH = tmp_path / "new-key.pem"
    with pytest.raises(signing.SignatureInvalid, match="does not trust"):
        signing.verify(old_bundle)
    Path(settings.QARION_SIGNING_TRUSTED_KEYS_FILE).parent.mkdir(parents=True, exist_ok=True)
    Path(settings.QARION_SIGNING_TRUSTED_KEYS_FILE).write_bytes(old_public)
    assert signing.verify(old_bundle).key_id == old_id
    assert signing.current_key_id() != old_id


def test_a_tampered_manifest_does_not_verify():
    bundle = json.loads(signing.sign("m", [signing.Resource("a", "00" * 32)])[0])
    import base64
    payload = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    payload["predicate"]["resources"][0]["digest"] = "11" * 32
    bundle["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(payload).encode()).decode()
    with pytest.raises(signing.SignatureInvalid):
        signing.verify(json.dumps(bundle))


def test_verify_reports_each_file(world, api_as, artifact_root):  # noqa: F811
    version, _ = _release(world, api_as, {"a.bin": b"aaaa", "b.bin": b"bbbb"})
    url = f"{API}/{world.record.pk}/model-versions/{version.pk}/verify"
    good = api_as("viewer").post(url)
    assert good.status_code == 200 and good.json()["valid"] is True
    assert {f["name"]: f["status"] for f in good.json()["files"]} == {"a.bin": "ok", "b.bin": "ok"}
    a = version.artifacts.get(file_name="a.bin")
    path = artifact_root / a.storage_key
    path.write_bytes(b"aaab")
    bad = api_as("viewer").post(url).json()
    assert bad["valid"] is False
    assert {f["name"]: f["status"] for f in bad["files"]} == {"a.bin": "mismatch", "b.bin": "ok"}


def test_signature_endpoints_answer_by_role(world, api_as, artifact_root):  # noqa: F811
    version, body = _release(world, api_as, {"a.bin": b"a"})
    assert api_as("outsider").get(body["signature_url"]).status_code == 404
    draft = ModelVersion.objects.create(product=world.record, label="draft")
    response = api_as("viewer").get(f"{API}/{world.record.pk}/model-versions/{draft.pk}/model.sig")
    assert response.status_code == 409 and response.json()["error"]["code"] == "version_not_released"
