"""The `qarion` command and the Python SDK against a live server on loopback."""

import hashlib
import json
import os
import signal
import stat
import time

import httpx
import pytest

from tests.client.conftest import MiB, cli_subprocess, random_file


def sha256_of(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def api(live_server, token):
    return httpx.Client(base_url=live_server.url + "/api/v1.0", headers={"Authorization": f"Bearer {token}"},
                        timeout=30)


def wait_until(predicate, timeout=60.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not reached in time")


# --- 1. round trip -------------------------------------------------------------------------

@pytest.mark.parametrize("inline", [True, False], ids=["assembled-in-complete", "assembled-in-background"])
def test_upload_then_download_round_trip_with_four_parallel_senders(live_server, live_world, token_for, run_cli,
                                                                     tmp_path, settings, inline):
    if not inline:
        settings.QARION_INLINE_ASSEMBLY_MAX_SIZE = 0  # the complete call answers 202; the client polls
    token = token_for("editor")
    source = random_file(tmp_path / "model.safetensors", 5 * MiB + 12345)
    product = live_world.record.pk

    code, out, err = run_cli("upload", product, source, "--kind", "weights", "--parallel", "4",
                             "--version", "v1", "--create-version", "--make-current", token=token)
    assert code == 0, err
    artifact_id = out.split("artifact ")[1].split()[0]
    assert f"sha256 {sha256_of(source)}" in out
    with api(live_server, token) as http:
        artifact = http.get(f"/catalog/products/{product}/model-artifacts/{artifact_id}").json()
        assert artifact["is_current"] is True
        assert artifact["version_label"] == "v1"
        assert artifact["size_bytes"] == source.stat().st_size
        assert http.get(f"/catalog/products/{product}/model-artifacts/uploads").json() == []

    target = tmp_path / "out" / "copy.bin"
    code, out, err = run_cli("download", product, artifact_id, "-o", target, token=token)
    assert code == 0, err
    assert sha256_of(target) == sha256_of(source)
    assert not (tmp_path / "out" / "copy.bin.part").exists()


def test_the_python_api_mirrors_the_cli(live_server, live_world, token_for, tmp_path):
    from qarion_client import Client, NotFoundError

    source = random_file(tmp_path / "adapter.bin", 3 * MiB)
    with Client(live_server.url, token_for("editor")) as client:
        artifact = client.upload(live_world.record.pk, source, kind="adapter", parallel=2)
        assert artifact["sha256"] == sha256_of(source) and artifact["is_current"] is False
        (tmp_path / "dl").mkdir()
        path = client.download(live_world.record.pk, artifact["id"], tmp_path / "dl")  # a directory: own name
        assert path == tmp_path / "dl" / "adapter.bin"
        assert sha256_of(path) == sha256_of(source)
        names = [r["name"] for r in client.models(space="lab")]
        assert names == ["Churn predictor"]
        assert [r["name"] for r in client.models(org="acme", model_family="genai")] == []
        with pytest.raises(NotFoundError):
            client.upload(live_world.record.pk, source, kind="adapter", version="missing")


def test_models_and_versions_commands(live_server, live_world, token_for, run_cli, tmp_path):
    token = token_for("editor")
    product = live_world.record.pk
    code, out, err = run_cli("models", "list", "--space", "lab", token=token)
    assert code == 0, err
    assert "Churn predictor" in out and str(product) in out
    code, out, err = run_cli("models", "list", "--org", "acme", "--family", "traditional_ml", "--json", token=token)
    assert code == 0, err
    assert [r["name"] for r in json.loads(out)] == ["Churn predictor"]  # the other space is not visible
    code, out, err = run_cli("models", "show", product, token=token)
    assert code == 0 and json.loads(out)["id"] == str(product)

    one = random_file(tmp_path / "a.bin", MiB + 1)
    two = random_file(tmp_path / "b.json", 100)
    for f, kind in [(one, "weights"), (two, "tokenizer")]:
        code, _, err = run_cli("upload", product, f, "--kind", kind, "--version", "2.0", "--create-version",
                               token=token)
        assert code == 0, err
    code, out, err = run_cli("versions", "list", product, token=token)
    assert code == 0 and "2.0" in out
    code, out, err = run_cli("versions", "pull", product, "2.0", "-o", tmp_path / "pulled", token=token)
    assert code == 0, err
    assert sha256_of(tmp_path / "pulled" / "a.bin") == sha256_of(one)
    assert sha256_of(tmp_path / "pulled" / "b.json") == sha256_of(two)


def test_login_stores_url_and_token_owner_only_and_the_environment_overrides(live_server, live_world, token_for,
                                                                                run_cli, cli_env, monkeypatch):
    token = token_for("editor")
    monkeypatch.setenv("QARION_TOKEN", token)
    code, out, err = run_cli("login", "--url", live_server.url)
    assert code == 0, err
    path = cli_env / "qarion" / "config.json"
    assert json.loads(path.read_text()) == {"url": live_server.url, "token": token}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    monkeypatch.delenv("QARION_TOKEN")
    monkeypatch.delenv("QARION_URL")
    code, out, err = run_cli("models", "list", "--space", "lab")  # from the stored config
    assert code == 0 and "Churn predictor" in out, err
    monkeypatch.setenv("QARION_TOKEN", "qrn_wrong")
    code, out, err = run_cli("models", "list", "--space", "lab")
    assert code == 3


# --- 2. resume -----------------------------------------------------------------------------

def test_a_killed_upload_resumes_sending_only_the_missing_chunks(live_server, live_world, token_for, proxy,
                                                                 tmp_path, cli_env):
    token = token_for("editor")
    product = live_world.record.pk
    source = random_file(tmp_path / "big.bin", 8 * MiB + 777)  # 9 chunks
    proxy.put_delay = 0.4
    process = cli_subprocess("upload", product, source, "--kind", "checkpoint", "--parallel", "2",
                             url=proxy.url, token=token, home=cli_env)
    try:
        with api(live_server, token) as http:
            def some_received():
                sessions = http.get(f"/catalog/products/{product}/model-artifacts/uploads").json()
                return sessions if sessions and len(sessions[0]["received_chunks"]) >= 3 else None
            wait_until(some_received, timeout=60)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            proxy.wait_idle()
            sessions = http.get(f"/catalog/products/{product}/model-artifacts/uploads").json()
            assert len(sessions) == 1
            received_before = set(sessions[0]["received_chunks"])
            assert 3 <= len(received_before) < 9
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)

    proxy.put_delay = 0.0
    proxy.reset()
    rerun = cli_subprocess("upload", product, source, "--kind", "checkpoint", "--parallel", "2",
                           url=proxy.url, token=token, home=cli_env)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    sent = proxy.chunk_puts()
    assert sorted(sent) == sorted(set(range(9)) - received_before)  # each missing chunk once, nothing else
    artifact_id = out.split("artifact ")[1].split()[0]
    with api(live_server, token) as http:
        artifact = http.get(f"/catalog/products/{product}/model-artifacts/{artifact_id}").json()
        assert artifact["sha256"] == sha256_of(source)
        assert artifact["size_bytes"] == source.stat().st_size
        assert http.get(f"/catalog/products/{product}/model-artifacts/uploads").json() == []


def test_a_killed_download_resumes_with_a_range_request(live_server, live_world, token_for, proxy, tmp_path,
                                                         cli_env):
    from qarion_client import Client

    token = token_for("editor")
    product = live_world.record.pk
    source = random_file(tmp_path / "weights.bin", 4 * MiB)
    with Client(live_server.url, token) as client:
        artifact = client.upload(product, source, kind="weights")
    target = tmp_path / "dl" / "weights.bin"
    part = tmp_path / "dl" / "weights.bin.part"
    proxy.download_delay = 0.02  # 64 KiB pieces: about 1.3 s for the file
    process = cli_subprocess("download", product, artifact["id"], "-o", target, url=proxy.url, token=token,
                             home=cli_env)
    try:
        wait_until(lambda: part.exists() and part.stat().st_size >= MiB, timeout=60, interval=0.01)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    have = part.stat().st_size
    assert MiB <= have < 4 * MiB and not target.exists()

    proxy.download_delay = 0.0
    proxy.reset()
    rerun = cli_subprocess("download", product, artifact["id"], "-o", target, url=proxy.url, token=token,
                           home=cli_env)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    ranges = [h.get("Range") for method, path, h in proxy.requests if path.endswith("/download")]
    assert ranges == [f"bytes={have}-"]
    assert sha256_of(target) == sha256_of(source) and not part.exists()


# --- 3. failures ---------------------------------------------------------------------------

def test_a_wrong_token_exits_3_with_the_servers_message(live_world, run_cli, tmp_path):
    source = random_file(tmp_path / "m.bin", 100)
    code, out, err = run_cli("upload", live_world.record.pk, source, "--kind", "weights", token="qrn_not_a_token")
    assert code == 3
    assert err.startswith("qarion: error: ") and "Traceback" not in err


def test_no_permission_exits_3(live_world, token_for, run_cli, tmp_path):
    source = random_file(tmp_path / "m.bin", 100)
    code, out, err = run_cli("upload", live_world.record.pk, source, "--kind", "weights", token=token_for("viewer"))
    assert code == 3, err
    assert "qarion: error:" in err and "Traceback" not in err


def test_an_unknown_or_invisible_product_exits_4(live_world, token_for, run_cli, tmp_path):
    source = random_file(tmp_path / "m.bin", 100)
    token = token_for("editor")
    code, _, err = run_cli("upload", "00000000-0000-0000-0000-000000000000", source, "--kind", "weights", token=token)
    assert code == 4 and "Traceback" not in err
    code, _, err = run_cli("download", live_world.other_record.pk, "00000000-0000-0000-0000-000000000000",
                           token=token)
    assert code == 4 and "qarion: error:" in err
    code, _, err = run_cli("upload", live_world.record.pk, source, "--kind", "weights", "--version", "nope",
                           token=token)
    assert code == 4 and "nope" in err


def test_usage_errors_exit_2(live_world, token_for, run_cli, tmp_path):
    token = token_for("editor")
    code, _, err = run_cli("upload", live_world.record.pk, tmp_path / "absent.bin", "--kind", "weights", token=token)
    assert code == 2 and "absent.bin" in err
    code, _, err = run_cli("upload", live_world.record.pk, token=token)
    assert code == 2
    source = random_file(tmp_path / "m.bin", 100)
    code, _, err = run_cli("upload", live_world.record.pk, source, "--kind", "no_such_kind", token=token)
    assert code == 2 and "qarion: error:" in err


def test_a_server_error_on_one_chunk_is_retried_and_the_upload_succeeds(live_server, live_world, token_for, proxy,
                                                                        run_cli, tmp_path):
    token = token_for("editor")
    source = random_file(tmp_path / "m.bin", 3 * MiB + 5)
    proxy.fail_once = {1}
    code, out, err = run_cli("--retries", "3", "upload", live_world.record.pk, source, "--kind", "weights",
                             "--parallel", "4", token=token, url=proxy.url)
    assert code == 0, err
    assert proxy.failed == [1]
    assert sorted(proxy.chunk_puts()) == [0, 1, 1, 2, 3]
    assert f"sha256 {sha256_of(source)}" in out


def test_an_unreachable_server_exits_6(live_world, token_for, run_cli, tmp_path):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    code, _, err = run_cli("--retries", "1", "models", "list", "--space", "lab", token=token_for("editor"),
                           url=f"http://127.0.0.1:{port}")
    assert code == 6 and "Traceback" not in err


@pytest.mark.usefixtures("local_storage")  # a test of the local backend
def test_a_checksum_mismatch_on_download_exits_5_and_deletes_the_partial_file(live_server, live_world, token_for,
                                                                               proxy, tmp_path, cli_env):
    from qarion_client import Client

    token = token_for("editor")
    source = random_file(tmp_path / "w.bin", 2 * MiB)
    with Client(live_server.url, token) as client:
        artifact = client.upload(live_world.record.pk, source, kind="weights")
    proxy.corrupt_downloads = True
    target = tmp_path / "dl" / "w.bin"
    process = cli_subprocess("download", live_world.record.pk, artifact["id"], "-o", target, url=proxy.url,
                             token=token, home=cli_env)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 5
    assert "Checksum mismatch" in err and "Traceback" not in err
    assert not target.exists() and not (tmp_path / "dl" / "w.bin.part").exists()


def test_help_documents_the_exit_codes(run_cli):
    code, out, _ = run_cli("--help")
    assert code == 0
    for line in ["0  success", "2  usage error", "3  authentication or permission", "4  not found",
                 "5  checksum mismatch", "6  network failure after retries"]:
        assert line in out
