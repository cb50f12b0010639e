"""The browser uploader with direct transfer (API.md, "Direct-to-bucket uploads"): in a real
chromium against the live server, whose artifacts live on moto's S3 server on loopback (another
origin, so the part PUTs are cross-origin requests the bucket's CORS answer lets through). The
parts go to presigned URLs with their checksum header and without the session's credentials;
a part that fails once and an expired link are sent again; after a reload only the parts the
bucket lacks are sent."""

import base64
import hashlib
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from modelrepo import storage
from modelrepo.models import Artifact
from tests.e2e.test_uploader import open_uploader, release, success_message, wait_until
from tests.uploads.conftest import MiB, payload
from uploads.choices import SessionStatus
from uploads.models import UploadSession

pytestmark = pytest.mark.e2e

PART = 5 * MiB  # S3's smallest part: the server raises smaller chunk sizes to it
SIZE = 2 * PART + MiB + 4321  # parts of 5, 5 and 1 MiB
PART_URL = re.compile(r"^http://127\.0\.0\.1:\d+/.*[?&]partNumber=\d+")
SERVER_CHUNK = re.compile(r".*/model-artifacts/uploads/[0-9a-f-]{36}/chunks/\d+$")
PARTS_CALL = re.compile(r".*/model-artifacts/uploads/[0-9a-f-]{36}/parts$")


@pytest.fixture(autouse=True)
def direct(s3_store, settings):
    settings.QARION_UPLOAD_DIRECT = True
    settings.QARION_UPLOAD_CHUNK_SIZE = MiB
    settings.CELERY_TASK_ALWAYS_EAGER = True


@pytest.fixture
def model_file(tmp_path):
    data = payload(SIZE, seed=11)
    path = tmp_path / "model.bin"
    path.write_bytes(data)
    return path, data


def part_of(url: str) -> int | None:
    """The chunk index of a part URL (partNumber - 1)."""
    if not PART_URL.match(url):
        return None
    return int(parse_qs(urlsplit(url).query)["partNumber"][0]) - 1


def b64_sha256(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def record_requests(page):
    seen = []
    page.on("request", lambda r: seen.append((r.method, r.url, r.headers)))
    return seen


def record_part_requests(page):
    """The part indexes of each POST .../parts the page makes."""
    asked = []
    page.on("request", lambda r: asked.append([p["index"] for p in json.loads(r.post_data)["parts"]])
            if r.method == "POST" and PARTS_CALL.match(r.url) else None)
    return asked


def bucket_puts(seen) -> list[int]:
    return [part_of(url) for method, url, _ in seen if method == "PUT" and part_of(url) is not None]


def test_an_editor_uploads_a_file_straight_to_the_bucket(world, live_server, page_as, model_file, s3_bucket):
    path, data = model_file
    sha256 = hashlib.sha256(data).hexdigest()
    page = open_uploader(page_as, world)
    seen = record_requests(page)
    asked = record_part_requests(page)
    page.evaluate("""() => {
        window.percents = [];
        const target = document.getElementById('upload-percent');
        new MutationObserver(() => window.percents.push(target.textContent)).observe(
            target, {childList: true, characterData: true, subtree: true});
    }""")

    page.set_input_files("#upload-file", str(path))
    page.select_option("#upload-kind", "checkpoint")
    page.get_by_role("button", name="Upload", exact=True).click()

    message = success_message(page)
    expect(message).to_contain_text(sha256)
    expect(page.locator("#upload-percent")).to_have_text("100%")
    assert page.eval_on_selector("#upload-bar", "el => [el.value, el.max]") == [SIZE, SIZE]
    percents = [int(p.rstrip("%")) for p in page.evaluate("window.percents")]
    assert percents[-1] == 100 and percents == sorted(percents)

    assert not [url for method, url, _ in seen if method == "PUT" and SERVER_CHUNK.match(url)]  # none via the server
    assert sorted(i for batch in asked for i in batch) == [0, 1, 2]  # each part's URL asked for once
    assert sorted(bucket_puts(seen)) == [0, 1, 2]
    for method, url, headers in seen:
        index = part_of(url)
        if method != "PUT" or index is None:
            continue
        assert headers["x-amz-checksum-sha256"] == b64_sha256(data[index * PART:(index + 1) * PART])
        assert "x-csrftoken" not in headers and "authorization" not in headers  # the URL is the authorization

    session = UploadSession.objects.get()
    assert (session.transfer, session.status, session.total_chunks) == ("direct", SessionStatus.COMPLETED, 3)
    artifact = Artifact.objects.get(product=world.record)
    assert (artifact.sha256, artifact.size_bytes, artifact.kind) == (sha256, SIZE, "checkpoint")
    name, client = s3_bucket
    assert hashlib.sha256(client.get_object(Bucket=name, Key=artifact.storage_key)["Body"].read()).hexdigest() == sha256
    expect(page.locator(f"#artifact-{artifact.pk} code.sha256")).to_have_text(sha256)


def test_a_part_that_fails_once_and_an_expired_link_are_sent_again(world, live_server, page_as, model_file):
    path, data = model_file
    page = open_uploader(page_as, world)
    seen = record_requests(page)
    asked = record_part_requests(page)
    faults = []

    def fail_once(route):
        index = part_of(route.request.url)
        if route.request.method == "PUT" and index not in faults and index in (0, 2):
            faults.append(index)
            if index == 0:
                route.abort("connectionreset")
            else:
                route.fulfill(status=403, content_type="application/xml",
                              headers={"Access-Control-Allow-Origin": "*"},
                              body="<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code>"
                                   "<Message>Request has expired</Message></Error>")
        else:
            route.continue_()

    page.route(PART_URL, fail_once)
    page.set_input_files("#upload-file", str(path))
    page.get_by_role("button", name="Upload", exact=True).click()

    expect(success_message(page)).to_contain_text(hashlib.sha256(data).hexdigest())
    assert sorted(faults) == [0, 2]
    assert sorted(bucket_puts(seen)) == [0, 0, 1, 2, 2]
    assert sorted(i for batch in asked for i in batch) == [0, 1, 2, 2] and [2] in asked  # the expired one renewed
    assert Artifact.objects.get(product=world.record).sha256 == hashlib.sha256(data).hexdigest()
    page.unroute_all(behavior="ignoreErrors")


def test_after_a_reload_only_the_parts_the_bucket_lacks_are_sent(world, live_server, page_as, model_file, s3_bucket):
    path, data = model_file
    page = open_uploader(page_as, world)
    held = []

    def hold_part_one(route):
        if route.request.method == "PUT" and part_of(route.request.url) == 1:
            held.append(route)  # never answered: this part is lost by the reload
        else:
            route.continue_()

    page.route(PART_URL, hold_part_one)
    page.set_input_files("#upload-file", str(path))
    page.get_by_role("button", name="Upload", exact=True).click()

    def in_bucket():
        session = UploadSession.objects.filter(status=SessionStatus.OPEN).first()
        if session is None:
            return set()
        name, client = s3_bucket
        listed = client.list_parts(Bucket=name, Key=storage.key_for_session(session.id),
                                   UploadId=session.multipart_upload_id)
        return {part["PartNumber"] - 1 for part in listed.get("Parts", [])}

    wait_until(page, lambda: in_bucket() == {0, 2} and len(held) == 1, timeout=30, what="parts 0 and 2 in the bucket")
    page.reload()  # the held request dies with the page
    release(held)
    page.unroute_all(behavior="ignoreErrors")

    seen = record_requests(page)
    page.set_input_files("#upload-file", str(path))
    expect(page.locator("#upload-resume")).to_contain_text("2 of 3 chunks")  # as the bucket lists them
    page.get_by_role("button", name="Resume upload").click()

    sha256 = hashlib.sha256(data).hexdigest()
    expect(success_message(page)).to_contain_text(sha256)
    assert bucket_puts(seen) == [1]
    assert not [url for method, url, _ in seen if method == "PUT" and SERVER_CHUNK.match(url)]
    session = UploadSession.objects.get()
    assert session.status == SessionStatus.COMPLETED
    assert Artifact.objects.get(product=world.record).sha256 == sha256
