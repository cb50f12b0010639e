"""The Versions and Artifacts pages: listing, the version forms, make current, history and
rollback, artifact make current, delete and external references, open upload sessions with
their progress, the repository summary on the overview and list pages, who may do what, and
bounded query counts."""

import hashlib
import json
import re
import uuid
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import AuditEvent
from modelrepo import versions as version_services
from modelrepo.models import Artifact, CurrentVersionChange, ModelDetails, ModelVersion
from tests.modelrepo.test_artifacts_api import artifact_root, store_artifact  # noqa: F401 (fixture)
from tests.uploads.conftest import MiB, Uploader, payload

READERS = ["viewer", "member", "editor", "space_admin", "org_admin"]
WRITERS = ["editor", "space_admin", "org_admin"]
NON_WRITERS = ["viewer", "member"]
STRANGERS = ["outsider", "org_member"]


def tab_url(product, tab):
    return reverse("modelrepo:model_tab", kwargs={"product_id": product.pk, "tab": tab})


def record_url(product, name, **kwargs):
    return reverse(f"modelrepo:{name}", kwargs={"product_id": product.pk, **kwargs})


def version_body(**overrides):
    body = {"label": "1.0.0", "kind": "release", "release_notes": "", "release_date": "", "git_tag": "",
            "commit_sha": "", "metrics": ""}
    body.update(overrides)
    return body


def reference_body(**overrides):
    body = {"uri": "https://models.example.com/big.gguf", "file_name": "", "size_bytes": "123456",
            "sha256": "AB" * 32, "kind": "weights", "version": "", "content_type": ""}
    body.update(overrides)
    return body


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def follow(client, url, data=None):
    return client.post(url, data or {}, follow=True)


@pytest.fixture
def version(world):
    return version_services.version_create(actor=world.editor, product=world.record, data={"label": "0.9.0"})


@pytest.fixture
def stored(world, artifact_root):  # noqa: F811
    def _make(data=b"weights" * 100, **options):
        return store_artifact(world.record, world.editor, data, **options)
    return _make


@pytest.fixture
def artifact(stored):
    return stored(file_name="model.safetensors")


def write_requests(world, version, artifact):
    """(name, url, valid body) of every POST these pages accept."""
    record = world.record
    return [
        ("version_create", record_url(record, "version_create"), version_body(label="2.0.0")),
        ("version_edit", record_url(record, "version_edit", version_id=version.pk), version_body(label="0.9.1")),
        ("version_make_current", record_url(record, "version_make_current", version_id=version.pk), {"reason": "go"}),
        ("artifact_make_current", record_url(record, "artifact_make_current", artifact_id=artifact.pk), {}),
        ("artifact_delete", record_url(record, "artifact_delete", artifact_id=artifact.pk), {}),
        ("artifact_register", record_url(record, "artifact_register"), reference_body()),
    ]


def write_pages(world, version, artifact):
    record = world.record
    return [
        record_url(record, "version_create"),
        record_url(record, "version_edit", version_id=version.pk),
        record_url(record, "artifact_register"),
        record_url(record, "artifact_delete", artifact_id=artifact.pk),
    ]


def snapshot(world):
    """What any write would change."""
    details = ModelDetails.objects.get(product=world.record)
    return (
        sorted(ModelVersion.objects.filter(product=world.record).values_list("label", flat=True)),
        details.current_version_id,
        sorted(Artifact.objects.filter(product=world.record).values_list("file_name", "is_current", "deleted_at")),
        AuditEvent.objects.count(),
    )


# --- Permission matrix ------------------------------------------------------------------

def test_an_anonymous_visitor_is_sent_to_log_in_and_nothing_changes(world, client, version, artifact):
    before = snapshot(world)
    for url in [tab_url(world.record, "versions"), tab_url(world.record, "artifacts"),
                *write_pages(world, version, artifact)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{reverse('login')}?next=")
    for name, url, body in write_requests(world, version, artifact):
        response = client.post(url, body)
        assert response.status_code == 302, name
        assert response["Location"].startswith(f"{reverse('login')}?next=")
    record_rollback = record_url(world.record, "version_rollback")
    assert client.post(record_rollback).status_code == 302
    assert snapshot(world) == before


@pytest.mark.parametrize("username", STRANGERS)
def test_a_user_outside_the_space_gets_404_everywhere_and_nothing_changes(world, client_as, username, version, artifact):
    client = client_as(username)
    before = snapshot(world)
    for url in [tab_url(world.record, "versions"), tab_url(world.record, "artifacts"),
                *write_pages(world, version, artifact)]:
        assert client.get(url).status_code == 404, url
    for name, url, body in write_requests(world, version, artifact):
        assert client.post(url, body).status_code == 404, name
    assert client.post(record_url(world.record, "version_rollback")).status_code == 404
    assert snapshot(world) == before


@pytest.mark.parametrize("username", READERS)
def test_every_reader_opens_both_tabs(world, client_as, username, version, artifact):
    client = client_as(username)
    versions = client.get(tab_url(world.record, "versions"))
    artifacts = client.get(tab_url(world.record, "artifacts"))
    assert versions.status_code == 200 and artifacts.status_code == 200
    assert "0.9.0" in versions.content.decode()
    assert artifact.sha256 in artifacts.content.decode()


@pytest.mark.parametrize("username", NON_WRITERS)
def test_a_view_only_user_gets_403_on_every_write_and_nothing_changes(world, client_as, username, version, artifact):
    client = client_as(username)
    before = snapshot(world)
    for url in write_pages(world, version, artifact):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "but not change it" in response.content.decode()
    for name, url, body in write_requests(world, version, artifact):
        assert client.post(url, body).status_code == 403, name
    assert client.post(record_url(world.record, "version_rollback")).status_code == 403
    assert snapshot(world) == before


@pytest.mark.parametrize("username", NON_WRITERS)
def test_a_view_only_user_sees_no_write_controls(world, client_as, username, version, artifact):
    client = client_as(username)
    versions = client.get(tab_url(world.record, "versions")).content.decode()
    artifacts = client.get(tab_url(world.record, "artifacts"))
    body = artifacts.content.decode()
    assert "New version" not in versions and "Make current" not in versions
    assert "Make current" not in body and "Delete" not in body and "Register external file" not in body
    assert 'id="uploader"' not in body and "uploader-config" not in body
    assert "Download" in body  # reading the bytes is a view right


@pytest.mark.parametrize("username", WRITERS)
def test_every_writer_can_do_every_write(world, client_as, username, version, stored):
    client = client_as(username)
    first = stored(b"one", file_name="one.bin")
    second = stored(b"two", file_name="two.bin")
    ok = [
        client.post(record_url(world.record, "version_create"), version_body(label="2.0.0")),
        client.post(record_url(world.record, "version_edit", version_id=version.pk), version_body(label="0.9.1")),
        client.post(record_url(world.record, "version_make_current", version_id=version.pk), {"reason": "go"}),
        client.post(record_url(world.record, "artifact_make_current", artifact_id=first.pk), {}),
        client.post(record_url(world.record, "artifact_delete", artifact_id=second.pk), {}),
        client.post(record_url(world.record, "artifact_register"), reference_body()),
    ]
    assert [r.status_code for r in ok] == [302] * len(ok)
    assert all(r["Location"].startswith(f"/models/{world.record.pk}/") for r in ok)
    assert set(ModelVersion.objects.filter(product=world.record).values_list("label", flat=True)) == {"0.9.1", "2.0.0"}
    assert ModelDetails.objects.get(product=world.record).current_version_id == version.pk
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.is_current and second.deleted_at is not None
    assert Artifact.objects.filter(product=world.record, file_name="big.gguf", upload_status="external").exists()
    for action in ("version.created", "version.updated", "version.made_current", "artifact.made_current",
                   "artifact.deleted", "artifact.registered"):
        assert AuditEvent.objects.filter(action=action).latest("sequence").actor_name == username, action


def test_a_write_page_of_another_records_version_or_artifact_is_404(world, client_as, artifact_root):  # noqa: F811
    theirs = version_services.version_create(actor=world.outsider, product=world.other_record, data={"label": "x"})
    their_file = store_artifact(world.other_record, world.outsider, b"secret")
    client = client_as("space_admin")
    assert client.get(record_url(world.record, "version_edit", version_id=theirs.pk)).status_code == 404
    assert client.post(record_url(world.record, "version_make_current", version_id=theirs.pk)).status_code == 404
    assert client.get(record_url(world.record, "artifact_delete", artifact_id=their_file.pk)).status_code == 404
    assert client.post(record_url(world.record, "artifact_make_current", artifact_id=their_file.pk)).status_code == 404
    unknown = uuid.uuid4()
    assert client.get(record_url(world.record, "version_edit", version_id=unknown)).status_code == 404


def test_the_action_urls_accept_only_post(world, client_as, version, artifact):
    client = client_as("editor")
    assert client.get(record_url(world.record, "version_make_current", version_id=version.pk)).status_code == 405
    assert client.get(record_url(world.record, "version_rollback")).status_code == 405
    assert client.get(record_url(world.record, "artifact_make_current", artifact_id=artifact.pk)).status_code == 405


def test_every_form_carries_a_csrf_token_and_a_post_without_one_is_refused(world, client_as, version, artifact):
    from django.test import Client

    client = client_as("editor")
    for url in [tab_url(world.record, "versions"), tab_url(world.record, "artifacts"),
                *write_pages(world, version, artifact)]:
        body = client.get(url).content.decode()
        forms = body.count('method="post"')
        assert forms >= 1, url
        assert body.count('name="csrfmiddlewaretoken"') >= forms, url
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.editor)
    before = snapshot(world)
    for name, url, body in write_requests(world, version, artifact):
        assert strict.post(url, body).status_code == 403, name
    assert snapshot(world) == before


# --- Versions tab -----------------------------------------------------------------------

def test_the_versions_tab_lists_every_field_and_marks_the_current_version(world, client_as):
    version_services.version_create(actor=world.editor, product=world.record, data={
        "label": "1.0.0", "kind": "major", "release_date": date(2025, 3, 1), "git_tag": "v1.0.0",
        "commit_sha": "0123456789abcdef0123", "metrics": {"f1": 0.91, "auc": 0.95},
        "release_notes": "First **stable** release.\n\n<script>alert(1)</script>",
    })
    current = version_services.version_create(actor=world.editor, product=world.record, data={"label": "1.1.0"})
    version_services.version_make_current(actor=world.editor, product=world.record, version=current)
    ModelVersion.objects.filter(label="1.0.0").update(deprecated=True, deprecation_reason="Superseded by 1.1.0")
    response = client_as("viewer").get(tab_url(world.record, "versions"))
    body = response.content.decode()
    for text in ("1.0.0", "Major", "2025-03-01", "v1.0.0", "0123456789", "f1", "0.91", "auc", "0.95", "Draft",
                 "Deprecated", "Superseded by 1.1.0", "editor"):
        assert text in body, text
    assert "<strong>stable</strong>" in body and "<script>alert(1)" not in body
    current_row = re.search(r'<tr class="version-row is-current" id="version-([0-9a-f-]+)"', body)
    assert current_row and current_row.group(1) == str(current.pk)
    assert body.count("is-current") == 1
    assert body.index("1.1.0") < body.index("1.0.0")  # newest first


def test_the_versions_tab_has_a_deliberate_empty_state(world, client_as):
    body = client_as("editor").get(tab_url(world.record, "versions")).content.decode()
    assert "No versions yet" in body
    assert record_url(world.record, "version_create") in body
    assert "No version has been made current yet" in body


def test_a_writer_creates_a_version_from_the_form(world, client_as):
    client = client_as("editor")
    page = client.get(record_url(world.record, "version_create"))
    assert page.status_code == 200
    assert 'name="metrics"' in page.content.decode()
    response = follow(client, record_url(world.record, "version_create"), version_body(
        label=" 1.2.0 ", kind="minor", release_notes="Notes", release_date="2025-04-02", git_tag="v1.2.0",
        commit_sha="ABCDEF1", metrics='{"f1": 0.9, "latency_ms": 12}'))
    assert response.redirect_chain[-1][0] == tab_url(world.record, "versions")
    assert "Version 1.2.0 created as a draft." in messages_of(response)
    version = ModelVersion.objects.get(product=world.record)
    assert (version.label, version.kind, version.release_date, version.git_tag, version.commit_sha) == (
        "1.2.0", "minor", date(2025, 4, 2), "v1.2.0", "abcdef1")
    assert version.metrics == {"f1": 0.9, "latency_ms": 12}
    assert version.created_by == world.editor


def test_a_duplicate_label_rerenders_the_form_with_the_message(world, client_as, version):
    response = client_as("editor").post(record_url(world.record, "version_create"), version_body(label="0.9.0"))
    assert response.status_code == 200
    form = response.context["form"]
    assert "already has a version labelled “0.9.0”" in form.errors["label"][0]
    assert "already has a version labelled" in response.content.decode()
    assert ModelVersion.objects.filter(product=world.record).count() == 1


@pytest.mark.parametrize("metrics, message, kept", [
    ('{"f1": 0.9', "Enter a valid JSON", "{&quot;f1&quot;: 0.9"),
    ('[1, 2]', "Enter a JSON object", "[\n  1,\n  2\n]"),
])
def test_bad_json_metrics_rerender_the_form_with_the_message(world, client_as, metrics, message, kept):
    response = client_as("editor").post(record_url(world.record, "version_create"), version_body(metrics=metrics))
    assert response.status_code == 200
    assert message in response.context["form"].errors["metrics"][0]
    body = response.content.decode()
    assert message in body and "is-invalid" in body
    assert kept in body  # what was typed is kept
    assert not ModelVersion.objects.filter(product=world.record).exists()


def test_a_bad_commit_sha_lands_on_its_field(world, client_as):
    response = client_as("editor").post(record_url(world.record, "version_create"), version_body(commit_sha="xyz"))
    assert response.status_code == 200
    assert "commit SHA" in response.context["form"].errors["commit_sha"][0]


def test_the_edit_form_is_prefilled_and_saves_only_what_changed(world, client_as):
    version = version_services.version_create(actor=world.editor, product=world.record, data={
        "label": "1.0.0", "metrics": {"f1": 0.8}, "git_tag": "v1"})
    client = client_as("editor")
    page = client.get(record_url(world.record, "version_edit", version_id=version.pk))
    form = page.context["form"]
    assert form["label"].value() == "1.0.0" and form["git_tag"].value() == "v1"
    assert "&quot;f1&quot;: 0.8" in page.content.decode()
    events = AuditEvent.objects.count()
    unchanged = version_body(label="1.0.0", git_tag="v1", metrics='{"f1": 0.8}')
    assert client.post(record_url(world.record, "version_edit", version_id=version.pk), unchanged).status_code == 302
    assert AuditEvent.objects.count() == events
    response = follow(client, record_url(world.record, "version_edit", version_id=version.pk),
                      {**unchanged, "metrics": '{"f1": 0.85}', "release_notes": "Better"})
    assert "Version 1.0.0 saved." in messages_of(response)
    version.refresh_from_db()
    assert version.metrics == {"f1": 0.85} and version.release_notes == "Better"
    event = AuditEvent.objects.filter(action="version.updated").get()
    assert set(event.changes) == {"metrics", "release_notes", "version"}


def test_renaming_to_a_taken_label_rerenders_the_edit_form(world, client_as, version):
    other = version_services.version_create(actor=world.editor, product=world.record, data={"label": "1.0.0"})
    response = client_as("editor").post(record_url(world.record, "version_edit", version_id=other.pk),
                                        version_body(label="0.9.0"))
    assert response.status_code == 200
    assert "already has a version labelled" in response.context["form"].errors["label"][0]


def test_editing_a_released_version_is_refused_with_a_clear_message(world, client_as, version):
    ModelVersion.objects.filter(pk=version.pk).update(status="released", released_at=timezone.now())
    client = client_as("editor")
    versions = client.get(tab_url(world.record, "versions")).content.decode()
    assert record_url(world.record, "version_edit", version_id=version.pk) not in versions
    page = client.get(record_url(world.record, "version_edit", version_id=version.pk))
    assert "is released and immutable" in page.content.decode()
    response = client.post(record_url(world.record, "version_edit", version_id=version.pk), version_body(label="0.9.9"))
    assert response.status_code == 409
    assert "Version 0.9.0 is released and immutable; create a new version." in response.content.decode()
    version.refresh_from_db()
    assert version.label == "0.9.0"


def test_a_training_run_can_be_chosen_when_the_record_has_one(world, client_as):
    from modelrepo.models import TrainingRun

    run = TrainingRun.objects.create(product=world.record, name="run-42")
    client = client_as("editor")
    assert "run-42" in client.get(record_url(world.record, "version_create")).content.decode()
    client.post(record_url(world.record, "version_create"), version_body(training_run=str(run.pk)))
    assert ModelVersion.objects.get(product=world.record).training_run == run
    assert "run-42" in client.get(tab_url(world.record, "versions")).content.decode()


# --- Current version: make current, history, rollback -----------------------------------------

def test_make_current_history_and_rollback_through_the_pages(world, client_as):
    client = client_as("editor")
    for label in ("1.0.0", "1.1.0"):
        client.post(record_url(world.record, "version_create"), version_body(label=label))
    v1, v2 = (ModelVersion.objects.get(product=world.record, label=label) for label in ("1.0.0", "1.1.0"))

    response = follow(client, record_url(world.record, "version_make_current", version_id=v1.pk),
                      {"reason": "first release"})
    assert "Version 1.0.0 is now the current version." in messages_of(response)
    response = follow(client, record_url(world.record, "version_make_current", version_id=v2.pk),
                      {"reason": "better recall"})
    assert ModelDetails.objects.get(product=world.record).current_version_id == v2.pk
    body = response.content.decode()
    history = body.split('id="history-heading"')[1]
    assert "better recall" in history and "first release" in history
    assert "Roll back to 1.0.0" in body

    response = follow(client, record_url(world.record, "version_rollback"), {"reason": "regression"})
    assert "Rolled back: version 1.0.0 is the current version again." in messages_of(response)
    assert ModelDetails.objects.get(product=world.record).current_version_id == v1.pk
    newest = CurrentVersionChange.objects.filter(product=world.record).first()
    assert (newest.from_label, newest.to_label, newest.reason, newest.is_rollback, newest.changed_by_name) == (
        "1.1.0", "1.0.0", "regression", True, "editor")
    history = response.content.decode().split('id="history-heading"')[1]
    assert "Rollback</span>" in history and "regression" in history
    assert history.index("regression") < history.index("better recall")  # newest first
    assert "Roll back to 1.1.0" in response.content.decode()  # one step back again returns


def test_a_rollback_with_nowhere_to_go_is_shown_as_an_error(world, client_as):
    response = follow(client_as("editor"), record_url(world.record, "version_rollback"))
    assert response.redirect_chain[-1][0] == tab_url(world.record, "versions")
    assert any("no previous current version to roll back to" in m for m in messages_of(response))
    assert 'alert-danger' in response.content.decode()


def test_a_yanked_version_cannot_be_made_current_and_the_page_says_why(world, client_as, version):
    ModelVersion.objects.filter(pk=version.pk).update(yanked=True, yank_reason="data leak")
    client = client_as("editor")
    body = client.get(tab_url(world.record, "versions")).content.decode()
    assert "Yanked" in body and "data leak" in body
    assert record_url(world.record, "version_make_current", version_id=version.pk) not in body
    response = follow(client, record_url(world.record, "version_make_current", version_id=version.pk))
    assert any("was yanked (data leak)" in m for m in messages_of(response))
    assert ModelDetails.objects.get(product=world.record).current_version_id is None


def test_a_too_long_reason_changes_nothing(world, client_as, version):
    response = follow(client_as("editor"), record_url(world.record, "version_make_current", version_id=version.pk),
                      {"reason": "x" * 2001})
    assert any("at most 2,000 characters" in m for m in messages_of(response))
    assert ModelDetails.objects.get(product=world.record).current_version_id is None


# --- Artifacts tab ----------------------------------------------------------------------

def test_the_artifacts_tab_lists_every_field_of_an_artifact(world, client_as, stored):
    version = ModelVersion.objects.create(product=world.record, label="3.0.0")
    data = b"x" * 3_500_000
    artifact = stored(data, file_name="model.safetensors", version=version, make_current=True)
    Artifact.objects.filter(pk=artifact.pk).update(
        format_details={"tensor_count": 291, "parameter_count": 8_030_261_248, "dtypes": ["BF16", "F32"]},
        integrity="verified", last_verified_at=timezone.now(),
    )
    response = client_as("viewer").get(tab_url(world.record, "artifacts"))
    body = response.content.decode()
    row = body.split(f'id="artifact-{artifact.pk}"')[1].split("</tr>")[0]
    assert "model.safetensors" in row and "Weights" in row and "version 3.0.0" in row
    assert f'<code class="sha256 d-block" id="sha256-{artifact.pk}">{hashlib.sha256(data).hexdigest()}</code>' in row
    assert "3.3\xa0MB" in row  # human-readable size
    assert "safetensors" in row and "291" in row and "8,030,261,248" in row and "BF16, F32" in row
    assert "Verified" in row and "Safe" in row and "editor" in row and "Current" in row
    download = reverse("modelrepo-api:artifact_download",
                       kwargs={"product_id": world.record.pk, "artifact_id": artifact.pk})
    assert f'href="{download}"' in row
    assert 'is-current' in body.split(f'id="artifact-{artifact.pk}"')[0].rsplit("<tr", 1)[1]


def test_the_download_link_works_with_the_browser_session(world, client_as, artifact):
    download = reverse("modelrepo-api:artifact_download",
                       kwargs={"product_id": world.record.pk, "artifact_id": artifact.pk})
    response = client_as("viewer").get(download)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"weights" * 100
    assert response["ETag"] == f'"{artifact.sha256}"'


def test_an_external_artifact_shows_its_uri(world, client_as):
    from modelrepo import artifacts as artifact_services

    artifact_services.artifact_register_reference(
        actor=world.editor, product=world.record, file_name="big.gguf", uri="s3://bucket/big.gguf",
        size_bytes=10, sha256="cd" * 32)
    body = client_as("viewer").get(tab_url(world.record, "artifacts")).content.decode()
    assert "s3://bucket/big.gguf" in body and "External" in body
    assert "/download" not in body  # not an http(s) location: nothing to follow


def test_the_artifacts_tab_has_a_deliberate_empty_state(world, client_as):
    body = client_as("viewer").get(tab_url(world.record, "artifacts")).content.decode()
    assert "No artifacts yet" in body


def test_make_current_and_delete_through_the_pages(world, client_as, stored):
    first = stored(b"1", file_name="one.bin", make_current=True)
    second = stored(b"2", file_name="two.bin")
    client = client_as("editor")
    response = follow(client, record_url(world.record, "artifact_make_current", artifact_id=second.pk))
    assert "two.bin is now the current artifact." in messages_of(response)
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.is_current and not first.is_current

    confirm = client.get(record_url(world.record, "artifact_delete", artifact_id=second.pk))
    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert "Delete two.bin?" in page and second.sha256 in page and "no current artifact" in page
    assert "after 30 days" in page
    response = follow(client, record_url(world.record, "artifact_delete", artifact_id=second.pk))
    assert "two.bin was deleted." in messages_of(response)
    second.refresh_from_db()
    assert second.deleted_at is not None and not second.is_current
    body = response.content.decode()
    assert f'id="artifact-{second.pk}"' not in body and f'id="artifact-{first.pk}"' in body
    assert client.get(record_url(world.record, "artifact_delete", artifact_id=second.pk)).status_code == 404


def test_deleting_an_artifact_of_a_released_version_shows_the_conflict(world, client_as, stored):
    version = ModelVersion.objects.create(product=world.record, label="2.0.0")
    artifact = stored(version=version)
    ModelVersion.objects.filter(pk=version.pk).update(status="released", released_at=timezone.now())
    response = follow(client_as("editor"), record_url(world.record, "artifact_delete", artifact_id=artifact.pk))
    assert response.redirect_chain[-1][0] == tab_url(world.record, "artifacts")
    assert any("2.0.0 is released and immutable" in m for m in messages_of(response))
    artifact.refresh_from_db()
    assert artifact.deleted_at is None


# --- External references --------------------------------------------------------------------

def test_a_writer_registers_an_external_file(world, client_as, version):
    client = client_as("editor")
    page = client.get(record_url(world.record, "artifact_register"))
    assert page.status_code == 200 and "0.9.0" in page.content.decode()  # draft versions to choose from
    response = follow(client, record_url(world.record, "artifact_register"), reference_body(
        uri="https://models.example.com/path/llama%20q4.gguf", version=str(version.pk), make_current="on"))
    assert "External file llama q4.gguf registered." in messages_of(response)
    artifact = Artifact.objects.get(product=world.record)
    assert (artifact.file_name, artifact.sha256, artifact.size_bytes, artifact.version, artifact.is_current,
            artifact.upload_status, artifact.content_type) == (
        "llama q4.gguf", "ab" * 32, 123456, version, True, "external", "application/octet-stream")


@pytest.mark.parametrize("overrides, field, message", [
    ({"sha256": "abc"}, "sha256", "64 hexadecimal characters"),
    ({"size_bytes": "0"}, "size_bytes", "greater than or equal to 1"),
    ({"uri": "ftp://example.com/x.bin"}, "uri", "scheme is one of"),
    ({"uri": "https://user:pw@example.com/x.bin"}, "uri", "scheme is one of"),
    ({"uri": "https://example.com/"}, "file_name", "does not end in a file name"),
    ({"file_name": "a/b.bin"}, "file_name", "path separator"),
])
def test_a_bad_reference_rerenders_the_form_with_the_message(world, client_as, overrides, field, message):
    response = client_as("editor").post(record_url(world.record, "artifact_register"), reference_body(**overrides))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Artifact.objects.filter(product=world.record).exists()


def test_a_duplicate_file_name_in_a_version_is_a_clear_conflict(world, client_as, version):
    client = client_as("editor")
    body = reference_body(file_name="w.bin", version=str(version.pk))
    assert client.post(record_url(world.record, "artifact_register"), body).status_code == 302
    response = client.post(record_url(world.record, "artifact_register"), body)
    assert response.status_code == 409
    assert "already has a file named “w.bin”" in response.content.decode()


# --- Open upload sessions -------------------------------------------------------------------

@pytest.fixture
def partial_upload(local_storage, world, api_as, settings):
    """An editor's session of a 3.5 MiB file with chunks 0 and 2 of 4 received."""
    settings.QARION_UPLOAD_CHUNK_SIZE = MiB
    data = payload(3 * MiB + MiB // 2)
    uploader = Uploader(api_as("editor"), world.record.pk)
    started = uploader.start(file_name="big.bin", total_size=len(data))
    assert started.status_code == 201
    session_id = started.json()["id"]
    for index in (0, 2):
        assert uploader.put(session_id, index, data[index * MiB:(index + 1) * MiB]).status_code == 200
    return session_id


def test_open_sessions_show_their_progress(world, client_as, partial_upload):
    body = client_as("editor").get(tab_url(world.record, "artifacts")).content.decode()
    row = body.split(f'id="session-{partial_upload}"')[1].split("</tr>")[0]
    assert "big.bin" in row and "Weights" in row and "Open" in row
    assert f'value="{2 * MiB}" max="{3 * MiB + MiB // 2}"' in row
    assert '<span class="received">2.0\xa0MB</span> of 3.5\xa0MB' in row and "57%" in row and "2/4 chunks" in row


def test_a_space_admin_sees_other_users_sessions_and_a_viewer_does_not(world, client_as, partial_upload):
    admin = client_as("space_admin").get(tab_url(world.record, "artifacts")).content.decode()
    assert f'id="session-{partial_upload}"' in admin
    assert "editor" in admin.split(f'id="session-{partial_upload}"')[1].split("</tr>")[0]
    viewer = client_as("viewer").get(tab_url(world.record, "artifacts")).content.decode()
    assert f'id="session-{partial_upload}"' not in viewer and "Uploads in progress" not in viewer


def test_finished_and_aborted_sessions_leave_the_list(world, client_as, api_as, partial_upload):
    Uploader(api_as("editor"), world.record.pk).abort(partial_upload)
    body = client_as("editor").get(tab_url(world.record, "artifacts")).content.decode()
    assert "Uploads in progress" not in body


# --- The uploader's configuration ------------------------------------------------------------

def test_a_writer_gets_the_uploader_and_its_configuration(world, client_as, version):
    response = client_as("editor").get(tab_url(world.record, "artifacts"))
    body = response.content.decode()
    assert 'id="uploader"' in body and 'id="upload-file"' in body and 'id="drop-zone"' in body
    config = json.loads(re.search(r'<script id="uploader-config" type="application/json">(.*?)</script>', body,
                                  re.S).group(1))
    assert config["uploadsUrl"] == f"/api/v1.0/catalog/products/{world.record.pk}/model-artifacts/uploads"
    assert config["artifactsUrl"] == f"/api/v1.0/catalog/products/{world.record.pk}/model-artifacts"
    assert config["parallel"] == 3 and len(config["csrfToken"]) >= 32
    from django.templatetags.static import static

    assert static("vendor/js-sha256-0.11.0/sha256.min.js") in body and static("js/uploader.js") in body
    assert f'<option value="{version.pk}">0.9.0</option>' in body
    assert "<noscript>" in body
    inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", body)
    assert inline == []  # no inline scripts beyond the JSON configuration


def test_a_released_version_is_not_offered_to_the_uploader(world, client_as, version):
    ModelVersion.objects.filter(pk=version.pk).update(status="released", released_at=timezone.now())
    body = client_as("editor").get(tab_url(world.record, "artifacts")).content.decode()
    assert f'<option value="{version.pk}">' not in body


# --- Summaries on the overview and the lists ----------------------------------------------------

def test_the_overview_shows_the_full_repository_summary(world, client_as, stored):
    version = version_services.version_create(actor=world.editor, product=world.record, data={"label": "2.1.0"})
    version_services.version_make_current(actor=world.editor, product=world.record, version=version)
    artifact = stored(b"z" * 2048, file_name="model.safetensors", make_current=True, content_type="application/x-st")
    body = client_as("viewer").get(reverse("modelrepo:model_detail", kwargs={"product_id": world.record.pk}))
    summary = body.content.decode().split('id="repository-heading"')[1].split("</section>")[0]
    for text in ("2.1.0", "release", "draft", str(artifact.pk), "model.safetensors", "weights", "application/x-st",
                 "safetensors", artifact.sha256, "2.0\xa0KB", ">1</a>"):
        assert text in summary, text


@pytest.mark.parametrize("scope", ["space", "organization"])
def test_the_list_pages_show_the_current_version_and_artifact_format(world, client_as, stored, scope):
    version = version_services.version_create(actor=world.editor, product=world.record, data={"label": "4.2.0"})
    version_services.version_make_current(actor=world.editor, product=world.record, version=version)
    stored(file_name="model.safetensors", make_current=True)
    url = (reverse("modelrepo:space_model_list", kwargs={"space_slug": "lab"}) if scope == "space"
           else reverse("modelrepo:org_model_list", kwargs={"org_slug": "acme"}))
    body = client_as("space_admin").get(url).content.decode()
    assert "Current release" in body
    cell = body.split('class="small current-release"')[1].split("</td>")[0]
    assert "4.2.0" in cell and "safetensors" in cell


# --- Query counts ---------------------------------------------------------------------------

TAB_QUERY_BOUND = 20  # 13 (versions) and 16 (artifacts, with open sessions) today, whatever the row count


def bulk_versions(world, n):
    versions = ModelVersion.objects.bulk_create(
        [ModelVersion(product=world.record, label=f"v{i}", created_by=world.editor, metrics={"f1": i / 100})
         for i in range(n)])
    for version in versions[:3]:
        version_services.version_make_current(actor=world.editor, product=world.record, version=version,
                                              reason="bulk")


def bulk_artifacts(world, n):
    Artifact.objects.bulk_create([
        Artifact(product=world.record, file_name=f"f{i}.bin", size_bytes=i + 1, sha256=f"{i:064x}", kind="weights",
                 upload_status="completed", uploaded_by=world.editor, detected_format="safetensors",
                 format_details={"tensor_count": i}, storage_backend="local", storage_key=f"k/{i}")
        for i in range(n)])


@pytest.mark.parametrize("n", [5, 60])
def test_the_versions_tab_runs_a_bounded_number_of_queries(world, client_as, django_assert_max_num_queries, n):
    bulk_versions(world, n)
    client = client_as("editor")
    with django_assert_max_num_queries(TAB_QUERY_BOUND):
        response = client.get(tab_url(world.record, "versions"))
    assert response.status_code == 200
    assert len(response.context["page_obj"].object_list) == min(n, 25)


@pytest.mark.parametrize("n", [5, 60])
def test_the_artifacts_tab_runs_a_bounded_number_of_queries(local_storage, world, client_as, api_as, settings,
                                                          django_assert_max_num_queries, n):
    bulk_artifacts(world, n)
    settings.QARION_UPLOAD_CHUNK_SIZE = MiB
    uploader = Uploader(api_as("editor"), world.record.pk)
    for i in range(n // 5):
        session_id = uploader.start(file_name=f"s{i}.bin", total_size=2 * MiB).json()["id"]
        uploader.put(session_id, 0, payload(MiB))
    client = client_as("space_admin")
    with django_assert_max_num_queries(TAB_QUERY_BOUND):
        response = client.get(tab_url(world.record, "artifacts"))
    assert response.status_code == 200
    assert len(response.context["page_obj"].object_list) == min(n, 25)
    assert len(response.context["sessions"]) == n // 5


def test_the_versions_tab_plots_each_metric_with_a_fallback_table_and_links_comparison(client_as, world):
    from modelrepo import versions as version_services
    for label, accuracy in [("1.0", 0.71), ("1.1", 0.78), ("1.2", 0.83)]:
        version_services.version_create(actor=world.editor, product=world.record,
                                        data={"label": label, "metrics": {"accuracy": accuracy}})
    response = client_as("viewer").get(f"/models/{world.record.pk}/versions/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Metrics across versions" in html
    assert html.count("<circle") >= 3
    for value in ("0.71", "0.78", "0.83"):
        assert value in html
    assert f"/models/{world.record.pk}/compare/" in html
    assert f"/models/{world.record.pk}/training-runs/" in html
