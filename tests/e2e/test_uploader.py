"""The browser uploader on the Artifacts tab, in a real chromium against the live server:
a multi-chunk upload with its progress bar, checksum and download; a dropped file; a chunk
that fails once; cancelling; resuming after a reload with only the missing chunks sent;
assembly in the background (202, then polling); and the server's refusals shown as messages."""

import hashlib
import json
import re
import time

import pytest
from playwright.sync_api import expect

from modelrepo.models import Artifact
from tests.uploads.conftest import MiB, payload
from uploads.choices import ChunkState, SessionStatus
from uploads.models import UploadChunk, UploadSession

pytestmark = pytest.mark.e2e

CHUNK_URL = re.compile(r".*/model-artifacts/uploads/[0-9a-f-]{36}/chunks/(\d+)$")
COMPLETE_URL = re.compile(r".*/model-artifacts/uploads/[0-9a-f-]{36}/complete$")
SIZE = 3 * MiB + MiB // 2  # four chunks of 1 MiB, the last one half full


@pytest.fixture(autouse=True)
def embedded_assembly(settings):
    """The embedded shape's assembly (in the request, or in a thread for larger files) in
    every phase: these tests are about the browser; tests/integration covers the worker."""
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def small_chunks(settings, local_storage):
    # 1 MiB chunks exist only on local storage (object storage's parts are at least 5 MiB).
    settings.QARION_UPLOAD_CHUNK_SIZE = MiB


@pytest.fixture
def model_file(tmp_path):
    """(path, bytes) of a file of four chunks."""
    data = payload(SIZE, seed=7)
    path = tmp_path / "model.bin"
    path.write_bytes(data)
    return path, data


def artifacts_path(record):
    return f"/models/{record.pk}/artifacts/"


def chunk_index(url):
    match = CHUNK_URL.match(url)
    return int(match.group(1)) if match else None


def wait_until(page, condition, timeout=15.0, what="the condition"):
    """Poll ``condition`` (database reads) while letting the page and its route handlers run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"Timed out waiting for {what}.")


def received_chunks(session_id=None):
    chunks = UploadChunk.objects.filter(state=ChunkState.RECEIVED)
    if session_id is not None:
        chunks = chunks.filter(session_id=session_id)
    return set(chunks.values_list("index", flat=True))


def release(routes):
    """Answer held routes whose requests the page has given up on (Playwright wants every
    intercepted request handled); the page no longer listens, so errors do not matter."""
    for route in routes:
        try:
            route.abort()
        except Exception:  # noqa: BLE001 - the request is already gone
            pass


def record_chunk_puts(page):
    sent = []

    def on_request(request):
        if request.method == "PUT" and chunk_index(request.url) is not None:
            sent.append(chunk_index(request.url))

    page.on("request", on_request)
    return sent


def success_message(page):
    message = page.locator("#upload-message .alert-success")
    expect(message).to_be_visible(timeout=20_000)
    return message


def open_uploader(page_as, world, username="editor"):
    page = page_as(username, artifacts_path(world.record))
    expect(page.locator("#uploader")).to_be_visible()
    return page


def test_an_editor_uploads_a_file_in_chunks_and_downloads_it(world, live_server, page_as, small_chunks, model_file):
    path, data = model_file
    sha256 = hashlib.sha256(data).hexdigest()
    page = open_uploader(page_as, world)
    sent = record_chunk_puts(page)
    headers = []
    page.on("request", lambda r: headers.append(r.headers) if chunk_index(r.url) is not None else None)
    # Record every percentage the page shows, to see the bar move up to 100%.
    page.evaluate("""() => {
        window.percents = [];
        const target = document.getElementById('upload-percent');
        new MutationObserver(() => window.percents.push(target.textContent)).observe(
            target, {childList: true, characterData: true, subtree: true});
    }""")

    page.set_input_files("#upload-file", str(path))
    page.select_option("#upload-kind", "checkpoint")
    page.check("#upload-make-current")
    page.get_by_role("button", name="Upload", exact=True).click()

    message = success_message(page)
    expect(message).to_contain_text("model.bin")
    expect(message).to_contain_text(sha256)
    expect(page.locator("#upload-percent")).to_have_text("100%")
    bar = page.eval_on_selector("#upload-bar", "el => [el.value, el.max]")
    assert bar == [SIZE, SIZE]
    percents = [int(p.rstrip("%")) for p in page.evaluate("window.percents")]
    assert percents[-1] == 100 and percents == sorted(percents)
    assert "MB of 3.5 MB" in page.locator("#upload-stats").inner_text() or "3.5 MB uploaded" in page.locator(
        "#upload-stats").inner_text()
    assert sorted(sent) == [0, 1, 2, 3]
    assert all(h.get("x-csrftoken") and "authorization" not in h for h in headers)  # the session, no API token

    # The new artifact is listed with its checksum, without a reload.
    artifact = Artifact.objects.get(product=world.record)
    assert (artifact.sha256, artifact.size_bytes, artifact.kind, artifact.is_current) == (sha256, SIZE, "checkpoint", True)
    row = page.locator(f"#artifact-{artifact.pk}")
    expect(row).to_be_visible()
    expect(row.locator("code.sha256")).to_have_text(sha256)
    expect(row).to_contain_text("Current")
    assert UploadSession.objects.get().status == SessionStatus.COMPLETED

    # Download it with the page's session and compare the bytes.
    with page.expect_download() as download_info:
        row.get_by_role("link", name=re.compile("Download")).click()
    download = download_info.value
    assert download.suggested_filename == "model.bin"
    with open(download.path(), "rb") as downloaded:
        assert downloaded.read() == data
    href = row.get_by_role("link", name=re.compile("Download")).get_attribute("href")
    response = page.request.get(f"{live_server.url}{href}")
    assert response.status == 200 and response.body() == data
    assert response.headers["etag"] == f'"{sha256}"'


def test_a_file_dropped_on_the_drop_zone_is_uploaded(world, live_server, page_as, small_chunks):
    size = MiB + MiB // 2
    data = bytes((i * 7) % 251 for i in range(size))
    page = open_uploader(page_as, world)
    dropped = page.evaluate_handle("""(size) => {
        const bytes = new Uint8Array(size);
        for (let i = 0; i < size; i++) bytes[i] = (i * 7) % 251;
        const transfer = new DataTransfer();
        transfer.items.add(new File([bytes], "dropped.bin", {type: "application/octet-stream"}));
        return transfer;
    }""", size)
    page.dispatch_event("#drop-zone", "dragover", {"dataTransfer": dropped})
    expect(page.locator("#drop-zone")).to_have_class(re.compile(r"\bis-dragover\b"))
    page.dispatch_event("#drop-zone", "drop", {"dataTransfer": dropped})
    expect(page.locator("#drop-zone")).not_to_have_class(re.compile(r"\bis-dragover\b"))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(success_message(page)).to_contain_text(hashlib.sha256(data).hexdigest())
    artifact = Artifact.objects.get(product=world.record)
    assert (artifact.file_name, artifact.size_bytes) == ("dropped.bin", size)


def test_a_chunk_that_fails_once_is_retried_and_the_upload_completes(world, live_server, page_as, small_chunks,
                                                                     model_file):
    path, data = model_file
    page = open_uploader(page_as, world)
    failed = []

    def fail_chunk_one_once(route):
        if chunk_index(route.request.url) == 1 and not failed:
            failed.append(route.request.url)
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route(CHUNK_URL, fail_chunk_one_once)
    sent = record_chunk_puts(page)
    page.set_input_files("#upload-file", str(path))
    page.get_by_role("button", name="Upload", exact=True).click()

    expect(success_message(page)).to_contain_text(hashlib.sha256(data).hexdigest())
    expect(page.locator("#upload-note")).to_have_text("Chunk 2 was sent again successfully.")
    assert len(failed) == 1
    assert sorted(sent) == [0, 1, 1, 2, 3]
    assert Artifact.objects.get(product=world.record).sha256 == hashlib.sha256(data).hexdigest()


def test_cancelling_an_upload_aborts_its_session(world, live_server, page_as, small_chunks, model_file):
    path, _ = model_file
    page = open_uploader(page_as, world)
    held = []

    def pass_first_hold_rest(route):
        if chunk_index(route.request.url) == 0:
            route.continue_()
        else:
            held.append(route)  # never answered: the upload stays in progress

    page.route(CHUNK_URL, pass_first_hold_rest)
    page.set_input_files("#upload-file", str(path))
    page.get_by_role("button", name="Upload", exact=True).click()
    wait_until(page, lambda: received_chunks() == {0} and len(held) == 3, what="chunk 0 and three held chunks")
    expect(page.locator("#upload-percent")).not_to_have_text("0%")
    page.get_by_role("button", name="Cancel upload").click()

    expect(page.locator("#upload-message")).to_contain_text("was cancelled")
    session = UploadSession.objects.get()
    assert session.status == SessionStatus.ABORTED
    assert not UploadSession.objects.filter(status=SessionStatus.OPEN).exists()
    config = json.loads(page.locator("#uploader-config").text_content())
    open_sessions = page.request.get(f"{live_server.url}{config['uploadsUrl']}")
    assert open_sessions.status == 200 and open_sessions.json() == []
    assert not Artifact.objects.exists()
    expect(page.locator("#upload-sessions")).not_to_contain_text("model.bin")
    expect(page.locator("#upload-file")).to_be_enabled()  # ready for the next file
    expect(page.locator("#upload-file")).to_have_value("")
    release(held)
    page.unroute_all(behavior="ignoreErrors")


def test_after_a_reload_the_upload_resumes_and_sends_only_the_missing_chunks(world, live_server, page_as,
                                                                            small_chunks, model_file):
    path, data = model_file
    page = open_uploader(page_as, world)
    held = []

    def hold_odd_chunks(route):
        if chunk_index(route.request.url) in (1, 3):
            held.append(route)  # never answered: these chunks are lost by the reload
        else:
            route.continue_()

    page.route(CHUNK_URL, hold_odd_chunks)
    page.set_input_files("#upload-file", str(path))
    page.get_by_role("button", name="Upload", exact=True).click()
    wait_until(page, lambda: received_chunks() == {0, 2} and len(held) == 2, what="chunks 0 and 2 on the server")
    session = UploadSession.objects.get()

    page.reload()  # the held requests die with the page
    release(held)
    page.unroute_all(behavior="ignoreErrors")
    expect(page.locator(f"#session-{session.pk}")).to_contain_text("2/4 chunks")
    sent = record_chunk_puts(page)
    page.set_input_files("#upload-file", str(path))
    resume = page.locator("#upload-resume")
    expect(resume).to_be_visible()
    expect(resume).to_contain_text("2 of 4 chunks")
    expect(page.get_by_role("button", name="Upload", exact=True)).to_be_disabled()
    page.get_by_role("button", name="Resume upload").click()

    sha256 = hashlib.sha256(data).hexdigest()
    expect(success_message(page)).to_contain_text(sha256)
    assert sorted(sent) == [1, 3]
    session.refresh_from_db()
    assert session.status == SessionStatus.COMPLETED
    artifact = Artifact.objects.get(product=world.record)
    assert artifact.pk == session.artifact_id and artifact.sha256 == sha256
    expect(page.locator(f"#artifact-{artifact.pk} code.sha256")).to_have_text(sha256)
    assert UploadSession.objects.count() == 1  # resumed, not started again


def test_a_file_assembled_in_the_background_is_polled_until_completed(world, live_server, page_as, small_chunks,
                                                                      model_file, settings):
    settings.QARION_INLINE_ASSEMBLY_MAX_SIZE = 0  # the embedded shape assembles in a thread: complete answers 202
    path, data = model_file
    page = open_uploader(page_as, world)
    completions = []
    page.on("response", lambda r: completions.append(r.status) if COMPLETE_URL.match(r.url) else None)
    page.set_input_files("#upload-file", str(path))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(success_message(page)).to_contain_text(hashlib.sha256(data).hexdigest())
    assert completions == [202]
    assert Artifact.objects.get(product=world.record).sha256 == hashlib.sha256(data).hexdigest()


def test_the_servers_refusals_are_shown_as_messages(world, live_server, page_as, small_chunks, model_file, settings):
    path, data = model_file
    page = open_uploader(page_as, world)

    # Too large: the start is refused with 413 and the server's message.
    settings.QARION_UPLOAD_MAX_SIZE = MiB
    page.set_input_files("#upload-file", str(path))
    page.get_by_role("button", name="Upload", exact=True).click()
    error = page.locator("#upload-message .alert-danger")
    expect(error).to_contain_text(f"this server accepts at most {MiB} bytes per upload")
    assert not UploadSession.objects.exists()

    # A checksum that does not match: completion answers 400 checksum_mismatch.
    settings.QARION_UPLOAD_MAX_SIZE = 50 * 1024 * MiB

    def wrong_checksum(route):
        route.continue_(post_data=json.dumps({"expected_sha256": "0" * 64}))

    page.route(COMPLETE_URL, wrong_checksum)
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(error).to_contain_text("checksum", ignore_case=True)
    expect(error).to_contain_text("can be resumed")
    assert not Artifact.objects.exists()
    session = UploadSession.objects.get()
    assert session.status == SessionStatus.OPEN and session.error["code"] == "checksum_mismatch"

    # The page offers to resume that session at once: nothing left to send, the right checksum completes it.
    page.unroute_all(behavior="ignoreErrors")
    sent = record_chunk_puts(page)
    expect(page.locator("#upload-resume")).to_contain_text("4 of 4 chunks (100%)")
    page.get_by_role("button", name="Resume upload").click()
    expect(success_message(page)).to_contain_text(hashlib.sha256(data).hexdigest())
    assert sent == []
    assert Artifact.objects.get(product=world.record).sha256 == hashlib.sha256(data).hexdigest()
