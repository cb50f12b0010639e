"""Direct transfer (API.md, "Direct-to-bucket uploads"): the `qarion` command and the SDK
against a live server whose artifacts live on moto's S3 server on loopback. The parts go to
presigned URLs, through a recording proxy in front of the S3 server (the server signs its
URLs for the proxy's address), and the API calls through another in front of the live server,
so the tests see which bytes went where."""

import hashlib
import json
import signal

import pytest

from modelrepo.models import Artifact
from tests.client.conftest import MiB, FaultProxy, cli_subprocess, random_file
from tests.client.test_cli import api, sha256_of, wait_until
from uploads.models import UploadSession

SIZE = 11 * MiB + 4321  # parts of 5, 5 and 1 MiB (S3's smallest part is 5 MiB)


@pytest.fixture
def bucket(s3_endpoint):
    """A recording proxy in front of the S3 server."""
    p = FaultProxy(s3_endpoint)
    yield p
    p.close()


@pytest.fixture
def direct(s3_store, s3_bucket, bucket, settings):
    """Artifact storage on a fresh bucket, reached through ``bucket``; direct transfer on."""
    settings.QARION_UPLOAD_DIRECT = True
    artifacts = settings.STORAGES["artifacts"]
    settings.STORAGES = {**settings.STORAGES, "artifacts": {
        **artifacts, "OPTIONS": {**artifacts["OPTIONS"], "endpoint_url": bucket.url}}}
    return s3_bucket


def parts_calls(proxy) -> list[list[int]]:
    """The part indexes asked for by each POST .../parts that went through ``proxy``."""
    return [[p["index"] for p in json.loads(body)["parts"]] for body in proxy.bodies("/parts")]


def stored_sha256(s3_bucket, artifact: Artifact) -> str:
    name, client = s3_bucket
    digest = hashlib.sha256()
    for piece in client.get_object(Bucket=name, Key=artifact.storage_key)["Body"].iter_chunks(MiB):
        digest.update(piece)
    return digest.hexdigest()


def test_the_cli_sends_the_parts_straight_to_the_bucket_and_none_through_the_server(
        live_server, live_world, token_for, run_cli, proxy, bucket, direct, tmp_path):
    token = token_for("editor")
    source = random_file(tmp_path / "model.safetensors", SIZE)
    product = live_world.record.pk

    code, out, err = run_cli("upload", product, source, "--kind", "weights", "--parallel", "3", token=token,
                             url=proxy.url)
    assert code == 0, err
    assert f"sha256 {sha256_of(source)}" in out

    assert proxy.chunk_puts() == []  # no byte of the file went through the server
    assert sorted(i for batch in parts_calls(proxy) for i in batch) == [0, 1, 2]
    puts = bucket.part_puts()
    assert sorted(i for i, _ in puts) == [0, 1, 2]
    for index, headers in puts:
        lowered = {k.lower(): v for k, v in headers.items()}
        assert "authorization" not in lowered and token not in str(headers)  # the URL is the authorization
        assert lowered["user-agent"].startswith("qarion-client/")
        assert lowered["content-length"] == str(min(5 * MiB, SIZE - index * 5 * MiB))
        assert "transfer-encoding" not in lowered
        assert lowered["x-amz-checksum-sha256"]

    session = UploadSession.objects.get()
    assert (session.transfer, session.status, session.total_chunks) == ("direct", "completed", 3)
    artifact = Artifact.objects.get(product=live_world.record)
    assert (artifact.sha256, artifact.size_bytes) == (sha256_of(source), SIZE)
    assert stored_sha256(direct, artifact) == sha256_of(source)
    with api(live_server, token) as http:
        assert http.get(f"/catalog/products/{product}/model-artifacts/uploads").json() == []


def test_the_progress_bar_and_callback_reach_the_whole_file(live_server, live_world, token_for, bucket, direct,
                                                           tmp_path, capsys):
    from qarion_client import Client

    source = random_file(tmp_path / "adapter.bin", SIZE)
    seen = []
    with Client(live_server.url, token_for("editor"), progress=True,
                on_progress=lambda done, total: seen.append((done, total))) as client:
        artifact = client.upload(live_world.record.pk, source, kind="adapter", parallel=2)
    assert artifact["sha256"] == sha256_of(source)
    assert UploadSession.objects.get().transfer == "direct"
    assert seen[0] == (0, SIZE) and seen[-1] == (SIZE, SIZE)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)  # nothing was sent twice
    assert "100%" in capsys.readouterr().err  # tqdm's bar on stderr


@pytest.mark.parametrize("how", ["direct-off-on-the-server", "transfer-server-option"])
def test_without_direct_transfer_the_same_command_sends_chunks_through_the_server(
        live_server, live_world, token_for, run_cli, proxy, bucket, direct, settings, tmp_path, how):
    extra = []
    if how == "direct-off-on-the-server":
        settings.QARION_UPLOAD_DIRECT = False
    else:
        extra = ["--transfer", "server"]
    source = random_file(tmp_path / "model.bin", SIZE)
    code, out, err = run_cli("upload", live_world.record.pk, source, "--kind", "weights", *extra,
                             token=token_for("editor"), url=proxy.url)
    assert code == 0, err
    assert f"sha256 {sha256_of(source)}" in out
    assert sorted(proxy.chunk_puts()) == [0, 1, 2] and parts_calls(proxy) == []
    puts = bucket.part_puts()
    assert sorted(i for i, _ in puts) == [0, 1, 2]
    assert all("qarion-client" not in headers.get("User-Agent", "") for _, headers in puts)  # the server's own
    assert UploadSession.objects.get().transfer == "server"
    assert Artifact.objects.get(product=live_world.record).sha256 == sha256_of(source)


def test_a_killed_direct_upload_resumes_sending_only_the_parts_the_bucket_lacks(
        live_server, live_world, token_for, proxy, bucket, direct, tmp_path, cli_env):
    token = token_for("editor")
    product = live_world.record.pk
    source = random_file(tmp_path / "big.bin", 5 * 5 * MiB + 777)  # 6 parts
    bucket.part_delay = 0.8
    process = cli_subprocess("upload", product, source, "--kind", "checkpoint", "--parallel", "2",
                             url=proxy.url, token=token, home=cli_env)
    try:
        with api(live_server, token) as http:
            def some_received():
                sessions = http.get(f"/catalog/products/{product}/model-artifacts/uploads").json()
                if not sessions:
                    return None
                state = http.get(f"/catalog/products/{product}/model-artifacts/uploads/{sessions[0]['id']}").json()
                return state if len(state["received_chunks"]) >= 2 else None
            wait_until(some_received, timeout=60)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            bucket.wait_idle()
            sessions = http.get(f"/catalog/products/{product}/model-artifacts/uploads").json()
            assert len(sessions) == 1 and sessions[0]["transfer"] == "direct"
            state = http.get(f"/catalog/products/{product}/model-artifacts/uploads/{sessions[0]['id']}").json()
            received_before = set(state["received_chunks"])
            assert 2 <= len(received_before) < 6
            last = 777 if 5 in received_before else 0
            assert state["received_bytes"] == 5 * MiB * len(received_before - {5}) + last
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)

    bucket.part_delay = 0.0
    bucket.reset()
    proxy.reset()
    rerun = cli_subprocess("upload", product, source, "--kind", "checkpoint", "--parallel", "2",
                           url=proxy.url, token=token, home=cli_env)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    missing = sorted(set(range(6)) - received_before)
    assert sorted(i for i, _ in bucket.part_puts()) == missing  # each missing part once, nothing else
    assert sorted(i for batch in parts_calls(proxy) for i in batch) == missing
    assert proxy.chunk_puts() == []
    artifact_id = out.split("artifact ")[1].split()[0]
    with api(live_server, token) as http:
        artifact = http.get(f"/catalog/products/{product}/model-artifacts/{artifact_id}").json()
        assert (artifact["sha256"], artifact["size_bytes"]) == (sha256_of(source), source.stat().st_size)
        assert http.get(f"/catalog/products/{product}/model-artifacts/uploads").json() == []
    assert UploadSession.objects.count() == 1


def test_a_part_the_bucket_answers_500_is_sent_again_and_the_progress_ends_at_the_whole_file(
        live_server, live_world, token_for, bucket, direct, tmp_path):
    from qarion_client import Client

    source = random_file(tmp_path / "model.bin", SIZE)
    bucket.part_fail_once = {1: (500, "InternalError")}
    seen = []
    with Client(live_server.url, token_for("editor"), retries=3, backoff=0.05,
                on_progress=lambda done, total: seen.append(done)) as client:
        artifact = client.upload(live_world.record.pk, source, kind="weights", parallel=3)
    assert artifact["sha256"] == sha256_of(source)
    assert bucket.parts_failed == [1]
    assert sorted(i for i, _ in bucket.part_puts()) == [0, 1, 1, 2]
    assert seen[-1] == SIZE and max(seen) == SIZE


def test_an_expired_part_url_is_renewed_and_the_part_sent_again(live_server, live_world, token_for, proxy, bucket,
                                                                direct, run_cli, tmp_path):
    source = random_file(tmp_path / "model.bin", SIZE)
    bucket.part_fail_once = {2: (403, "AccessDenied")}  # "Request has expired"
    code, out, err = run_cli("upload", live_world.record.pk, source, "--kind", "weights", token=token_for("editor"),
                             url=proxy.url)
    assert code == 0, err
    assert f"sha256 {sha256_of(source)}" in out
    calls = parts_calls(proxy)
    assert sorted(i for batch in calls for i in batch) == [0, 1, 2, 2] and [2] in calls
    assert sorted(i for i, _ in bucket.part_puts()) == [0, 1, 2, 2]


def test_a_part_the_bucket_refuses_as_other_bytes_exits_2_saying_the_file_changed(
        live_server, live_world, token_for, bucket, direct, run_cli, tmp_path):
    source = random_file(tmp_path / "model.bin", SIZE)
    bucket.part_fail_once = {0: (400, "BadDigest")}
    code, out, err = run_cli("upload", live_world.record.pk, source, "--kind", "weights", token=token_for("editor"))
    assert code == 2, err
    assert "changed while it was being uploaded" in err and "Traceback" not in err
    assert Artifact.objects.count() == 0

