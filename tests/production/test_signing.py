"""A release signed on one web node verifies everywhere: the files and model.sig downloaded
from the other node pass the standard ``model_signing`` verifier with the public key that
node publishes, and that node's own verify endpoint accepts the release. Each node has its own
data directory, so this holds only when every node signs with the same key."""

import subprocess
import sys
import tarfile
from pathlib import Path

from tests.production.conftest import API, MiB, Payload, upload

VERIFIER = Path(sys.executable).parent / "model_signing"


def _verify(folder: Path, public_key: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(VERIFIER), "verify", "key", str(folder), "--public_key", str(public_key),
         "--signature", str(folder / "model.sig")],
        capture_output=True, text=True, timeout=120)


def test_a_release_signed_on_one_node_verifies_with_the_files_from_the_other(production, api, bucket_http, record,
                                                                            tmp_path):
    version = api[0].post(f"{API}/catalog/products/{record}/model-versions", json={"label": "1.0.0"})
    assert version.status_code == 201, version.text
    version_id = version.json()["id"]
    config_bytes = b'{"layers": 2, "hidden": 64}'
    upload(api, bucket_http, record, Payload(6 * MiB + 5), file_name="weights.bin", version_id=version_id)
    upload(api, bucket_http, record, Payload.of(config_bytes), file_name="config.json", artifact_kind="other",
           version_id=version_id)

    released = api[0].post(f"{API}/catalog/products/{record}/model-versions/{version_id}/release")
    assert released.status_code == 200, released.text
    body = released.json()
    assert body["status"] == "released"

    # Everything below comes from the other node.
    other = api[1]
    key = other.get(f"{API}/signing/public-key.pem")
    assert key.status_code == 200, key.text
    public_key = tmp_path / "public.pem"
    public_key.write_bytes(key.content)
    assert key.headers.get("X-Signing-Key-Id") == body["signature_key_id"], (
        f"the release was signed with key {body['signature_key_id']} on {api[0].base_url}, but {other.base_url} "
        f"publishes key {key.headers.get('X-Signing-Key-Id')}: the nodes sign with different keys")

    archive = other.get(f"{API}/catalog/products/{record}/model-versions/{version_id}/download-all")
    assert archive.status_code == 200, archive.text[:2000]
    (tmp_path / "release.tar").write_bytes(archive.content)
    with tarfile.open(tmp_path / "release.tar") as tar:
        tar.extractall(tmp_path / "download", filter="data")
    [folder] = list((tmp_path / "download").iterdir())
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.sig", "weights.bin"]
    assert (folder / "config.json").read_bytes() == config_bytes

    signature = other.get(f"{API}/catalog/products/{record}/model-versions/{version_id}/model.sig")
    assert signature.status_code == 200, signature.text
    assert signature.content == (folder / "model.sig").read_bytes()

    verified = _verify(folder, public_key)
    assert verified.returncode == 0, f"model_signing refused the release:\n{verified.stdout}\n{verified.stderr}"

    report = other.post(f"{API}/catalog/products/{record}/model-versions/{version_id}/verify")
    assert report.status_code == 200, report.text
    assert report.json()["valid"] is True, report.json()

    victim = folder / "weights.bin"
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x01
    victim.write_bytes(bytes(data))
    refused = _verify(folder, public_key)
    assert refused.returncode != 0, "model_signing accepted a file with a flipped byte"
