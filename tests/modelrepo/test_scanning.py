"""Pickle scanning walks opcodes and never loads the file: a malicious pickle would run
``os.system`` if it were unpickled, so the tests also check it never is."""

import io
import os
import pickle
import zipfile

import pytest

from modelrepo import scanning


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/qarion-pwned",))


class _EvalEvil:
    def __reduce__(self):
        return (eval, ("1+1",))


@pytest.fixture(autouse=True)
def never_unpickles(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the scanner unpickled a file")
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _torch_zip(payload: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", payload)
        archive.writestr("archive/version", "3\n")
        archive.writestr("archive/data/0", b"\0" * 16)
    return buffer.getvalue()


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_a_benign_pickle_is_safe(tmp_path, protocol):
    data = pickle.dumps({"weights": [1.0, 2.0], "names": ("a", "b"), "set": {1}}, protocol=protocol)
    result = scanning.scan_path(_write(tmp_path, "m.pkl", data), "pickle")
    assert result.safety == "safe", result.details()


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_os_system_makes_a_pickle_unsafe_and_is_listed(tmp_path, protocol):
    data = pickle.dumps({"model": _Evil()}, protocol=protocol)
    result = scanning.scan_path(_write(tmp_path, "m.pkl", data), "pickle")
    assert result.safety == "unsafe"
    assert any(name.endswith(".system") for name in result.dangerous_imports)
    assert not os.path.exists("/tmp/qarion-pwned")


def test_builtins_eval_is_unsafe(tmp_path):
    result = scanning.scan_path(_write(tmp_path, "m.joblib", pickle.dumps(_EvalEvil(), protocol=4)), "joblib")
    assert result.safety == "unsafe" and "builtins.eval" in result.dangerous_imports


def test_an_unknown_import_is_suspicious(tmp_path):
    data = pickle.dumps(zipfile.ZipInfo("x"), protocol=4)
    result = scanning.scan_path(_write(tmp_path, "m.pkl", data), "pickle")
    assert result.safety == "suspicious" and "zipfile.ZipInfo" in result.unknown_imports


def test_a_malicious_pickle_after_a_benign_one_is_found(tmp_path):
    data = pickle.dumps([1, 2], protocol=4) + pickle.dumps(_Evil(), protocol=4)
    assert scanning.scan_path(_write(tmp_path, "m.pkl", data), "pickle").safety == "unsafe"


def test_pytorch_style_zips_are_scanned_member_by_member(tmp_path):
    benign = pickle.dumps({"layer.weight": [0.1]}, protocol=2)
    assert scanning.scan_path(_write(tmp_path, "ok.pt", _torch_zip(benign)), "pytorch").safety == "safe"
    evil = _torch_zip(pickle.dumps({"layer": _Evil()}, protocol=2))
    result = scanning.scan_path(_write(tmp_path, "bad.pt", evil), "pytorch")
    assert result.safety == "unsafe"
    assert result.details()["scanned"] == ["archive/data.pkl"]


def test_a_truncated_pickle_is_suspicious(tmp_path):
    data = pickle.dumps({"a": list(range(100))}, protocol=4)[:-20]
    assert scanning.scan_path(_write(tmp_path, "m.pkl", data), "pickle").safety == "suspicious"


def test_non_pickle_formats_are_not_applicable(tmp_path):
    path = _write(tmp_path, "m.safetensors", pickle.dumps(_Evil()))
    assert scanning.scan_path(path, "safetensors").safety == "not_applicable"


def test_an_uploaded_malicious_pickle_is_marked_unsafe_and_not_made_current(local_storage,
        world, api_as, settings, django_capture_on_commit_callbacks):
    from tests.uploads.conftest import Uploader

    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.QARION_UPLOAD_CHUNK_SIZE = 1024 * 1024
    uploader = Uploader(api_as("editor"), world.record.pk)
    data = pickle.dumps({"model": _Evil()}, protocol=4)
    with django_capture_on_commit_callbacks(execute=True):
        upload_id, completed = uploader.upload(data, file_name="model.pkl", make_current=True)
    assert completed.status_code in (201, 202), completed.content
    artifact_id = uploader.get(upload_id).json()["artifact_id"]
    body = api_as("viewer").get(f"/api/v1.0/catalog/products/{world.record.pk}/model-artifacts/{artifact_id}").json()
    assert body["safety"] == "unsafe" and body["is_current"] is False
    from modelrepo.models import Artifact
    details = Artifact.objects.get(pk=artifact_id).safety_details
    assert any(name.endswith(".system") for name in details["dangerous_imports"])
