"""The release pages: releasing a version from the Versions tab, deprecating and yanking it
with a reason, the signature and download-all links, the verify report, the signing key, and
the safety and integrity of artifacts on the Artifacts tab, with who may do what."""

from datetime import datetime, timezone

import pytest
from django.test import Client
from django.urls import reverse

from catalog.models import AuditEvent
from modelrepo import signing
from modelrepo import versions as version_services
from modelrepo.models import Artifact, ModelVersion
from tests.modelrepo.test_artifacts_api import artifact_root, store_artifact  # noqa: F401 (fixture)

NON_WRITERS = ["viewer", "member"]
STRANGERS = ["outsider", "org_member"]


@pytest.fixture(autouse=True)
def signing_key(settings, tmp_path):
    settings.QARION_SIGNING_KEY = None
    settings.QARION_SIGNING_KEY_PATH = tmp_path / "keys" / "signing-key.pem"
    settings.QARION_SIGNING_TRUSTED_KEYS_FILE = tmp_path / "keys" / "trusted.pem"


def tab_url(product, tab):
    return reverse("modelrepo:model_tab", kwargs={"product_id": product.pk, "tab": tab})


def version_url(version, name):
    return reverse(f"modelrepo:{name}", kwargs={"product_id": version.product_id, "version_id": version.pk})


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def draft(world, artifact_root):  # noqa: F811
    """A draft version with two stored files."""
    version = version_services.version_create(actor=world.editor, product=world.record, data={"label": "1.4.0"})
    store_artifact(world.record, world.editor, b"weights" * 500, file_name="model.safetensors", version=version)
    store_artifact(world.record, world.editor, b'{"layers": 2}', file_name="config.json", kind="other",
                   version=version)
    return version


@pytest.fixture
def released(world, draft):
    return version_services.version_release(actor=world.editor, product=world.record, version=draft)


def state(version):
    version.refresh_from_db()
    return (version.status, version.deprecated, version.deprecation_reason, version.yanked, version.yank_reason,
            version.signature, AuditEvent.objects.count())


# --- Release ----------------------------------------------------------------------------

def test_the_release_page_explains_that_the_version_becomes_immutable_and_signed(world, client_as, draft):
    tab = client_as("editor").get(tab_url(world.record, "versions"))
    assert version_url(draft, "version_release") in tab.content.decode()

    page = client_as("editor").get(version_url(draft, "version_release"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "immutable and signed" in text and "csrfmiddlewaretoken" in text


def test_an_editor_releases_a_version_and_the_tab_offers_its_signature_and_archive(world, client_as, draft):
    client = client_as("editor")
    response = client.post(version_url(draft, "version_release"), follow=True)

    assert response.status_code == 200
    assert messages_of(response) == ["Version 1.4.0 is released and signed; its files can no longer change."]
    draft.refresh_from_db()
    assert draft.is_released and draft.released_by == world.editor and draft.signature
    text = client.get(tab_url(world.record, "versions")).content.decode()
    api = {"product_id": world.record.pk, "version_id": draft.pk}
    assert reverse("modelrepo-api:version_signature", kwargs=api) in text
    assert reverse("modelrepo-api:version_archive", kwargs=api) in text
    assert "Released" in text and "by editor" in text
    assert version_url(draft, "version_release") not in text  # released once only
    assert version_url(draft, "version_deprecate") in text and version_url(draft, "version_yank") in text


def test_the_signature_and_archive_links_work_with_the_browser_session(world, client_as, released):
    client = client_as("viewer")
    api = {"product_id": world.record.pk, "version_id": released.pk}
    signature = client.get(reverse("modelrepo-api:version_signature", kwargs=api))
    assert signature.status_code == 200
    body = b"".join(signature.streaming_content) if signature.streaming else signature.content
    assert body.decode() == released.signature
    archive = client.get(reverse("modelrepo-api:version_archive", kwargs=api))
    assert archive.status_code == 200 and archive["Content-Type"] == "application/x-tar"


def test_releasing_an_empty_version_is_refused_with_the_message_shown(world, client_as, artifact_root):  # noqa: F811
    version = version_services.version_create(actor=world.editor, product=world.record, data={"label": "2.0.0"})
    before = state(version)

    response = client_as("editor").post(version_url(version, "version_release"))

    assert response.status_code == 409
    assert "Version 2.0.0 has no uploaded artifact" in response.content.decode()
    assert state(version) == before


def test_releasing_a_released_version_again_says_so_and_changes_nothing(world, client_as, released):
    before = state(released)
    response = client_as("editor").post(version_url(released, "version_release"))
    assert response.status_code == 409
    assert "Version 1.4.0 is already released." in response.content.decode()
    assert state(released) == before


def test_a_version_with_an_unsafe_artifact_is_not_released(world, client_as, draft):
    Artifact.objects.filter(version=draft, file_name="config.json").update(safety="unsafe")
    response = client_as("editor").post(version_url(draft, "version_release"))
    assert response.status_code == 409
    assert "judged unsafe (config.json)" in response.content.decode()
    draft.refresh_from_db()
    assert not draft.is_released


def test_the_versions_tab_shows_the_signing_key_fingerprint_and_public_key_link(world, client_as, draft):
    text = client_as("viewer").get(tab_url(world.record, "versions")).content.decode()
    assert signing.current_key_id() in text
    assert reverse("modelrepo-api:signing_public_key") in text


# --- Deprecate and yank -----------------------------------------------------------------

@pytest.mark.parametrize("name, flag, field, badge", [
    ("version_deprecate", "deprecated", "deprecation_reason", "Deprecated"),
    ("version_yank", "yanked", "yank_reason", "Yanked"),
])
def test_an_editor_flags_a_released_version_with_a_reason_shown_on_the_tab(world, client_as, released, name, flag,
                                                                           field, badge):
    client = client_as("editor")
    assert client.get(version_url(released, name)).status_code == 200

    response = client.post(version_url(released, name), {"reason": "  CVE-2025-0001 in the tokenizer  "}, follow=True)

    assert response.status_code == 200 and messages_of(response)
    released.refresh_from_db()
    assert getattr(released, flag) is True and getattr(released, field) == "CVE-2025-0001 in the tokenizer"
    text = client.get(tab_url(world.record, "versions")).content.decode()
    assert badge in text and "CVE-2025-0001 in the tokenizer" in text


@pytest.mark.parametrize("name", ["version_deprecate", "version_yank"])
@pytest.mark.parametrize("reason", ["", "   "])
def test_flagging_without_a_reason_is_refused_and_nothing_changes(world, client_as, released, name, reason):
    before = state(released)
    response = client_as("editor").post(version_url(released, name), {"reason": reason})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert state(released) == before


@pytest.mark.parametrize("name", ["version_deprecate", "version_yank"])
def test_a_draft_cannot_be_flagged_and_the_conflict_is_shown(world, client_as, draft, name):
    before = state(draft)
    response = client_as("editor").post(version_url(draft, name), {"reason": "old"})
    assert response.status_code == 409
    assert "Version 1.4.0 is a draft; release it before marking it" in response.content.decode()
    assert state(draft) == before


def test_a_yanked_version_offers_no_make_current(world, client_as, released):
    make_current = version_url(released, "version_make_current")
    assert make_current in client_as("editor").get(tab_url(world.record, "versions")).content.decode()
    version_services.version_yank(actor=world.editor, product=world.record, version=released, reason="broken")
    text = client_as("editor").get(tab_url(world.record, "versions")).content.decode()
    assert make_current not in text
    assert "Yanked: broken" in text


# --- Verify -----------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["viewer", "editor"])
def test_the_verify_page_lists_each_file_as_ok(world, client_as, released, username):
    response = client_as(username).post(version_url(released, "version_verify"))
    assert response.status_code == 200
    report = response.context["report"]
    assert report["valid"] is True
    assert {(f["name"], f["status"]) for f in report["files"]} == {("config.json", "ok"), ("model.safetensors", "ok")}
    text = response.content.decode()
    assert text.count('data-status="ok"') == 2
    assert "Every stored file matches the signed manifest." in text


def test_the_verify_page_reports_a_changed_file_as_a_mismatch(world, client_as, released, artifact_root):  # noqa: F811
    artifact = Artifact.objects.get(version=released, file_name="config.json")
    path = artifact_root / artifact.storage_key
    path.write_bytes(b'{"layers": 3}')
    response = client_as("viewer").post(version_url(released, "version_verify"))
    text = response.content.decode()
    assert 'data-status="mismatch"' in text and text.count('data-status="ok"') == 1
    assert "do not match the signed manifest" in text


def test_verifying_a_draft_goes_back_to_the_tab_with_the_message(world, client_as, draft):
    response = client_as("viewer").post(version_url(draft, "version_verify"), follow=True)
    assert messages_of(response) == ["Version 1.4.0 is a draft; release it before verifying it."]


def test_verify_is_a_post_only(world, client_as, released):
    assert client_as("viewer").get(version_url(released, "version_verify")).status_code == 405


# --- Who may do what --------------------------------------------------------------------

def write_posts(draft, released):
    return [
        (version_url(draft, "version_release"), {}),
        (version_url(released, "version_deprecate"), {"reason": "old"}),
        (version_url(released, "version_yank"), {"reason": "broken"}),
    ]


@pytest.fixture
def both(world, draft, artifact_root):  # noqa: F811
    """A draft with a file and a released version."""
    other = version_services.version_create(actor=world.editor, product=world.record, data={"label": "1.3.0"})
    store_artifact(world.record, world.editor, b"older", file_name="model.safetensors", version=other)
    return draft, version_services.version_release(actor=world.editor, product=world.record, version=other)


@pytest.mark.parametrize("username", NON_WRITERS)
def test_a_view_only_user_gets_403_on_every_release_action_and_nothing_changes(world, client_as, both, username):
    draft, released = both
    before = (state(draft), state(released))
    client = client_as(username)
    for url, body in write_posts(draft, released):
        assert client.post(url, body).status_code == 403, url
        assert client.get(url).status_code == 403, url
    assert (state(draft), state(released)) == before
    text = client.get(tab_url(world.record, "versions")).content.decode()
    for url, _ in write_posts(draft, released):
        assert url not in text
    assert version_url(released, "version_verify") in text  # reading actions stay


@pytest.mark.parametrize("username", STRANGERS)
def test_a_user_outside_the_space_gets_404_on_every_release_page(world, client_as, both, username):
    draft, released = both
    before = (state(draft), state(released))
    client = client_as(username)
    for url, body in [*write_posts(draft, released), (version_url(released, "version_verify"), {})]:
        assert client.post(url, body).status_code == 404, url
    assert (state(draft), state(released)) == before


def test_an_anonymous_visitor_is_sent_to_log_in(world, client, both):
    draft, released = both
    before = (state(draft), state(released))
    for url, body in [*write_posts(draft, released), (version_url(released, "version_verify"), {})]:
        response = client.post(url, body)
        assert response.status_code == 302 and "login" in response["Location"], url
    assert (state(draft), state(released)) == before


def test_a_version_of_another_record_is_404(world, client_as, released):
    url = reverse("modelrepo:version_release", kwargs={"product_id": world.other_record.pk, "version_id": released.pk})
    assert client_as("outsider").post(url).status_code == 404


def test_every_release_form_needs_the_csrf_token(world, both):
    draft, released = both
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.editor)
    before = (state(draft), state(released))
    for url, body in [*write_posts(draft, released), (version_url(released, "version_verify"), {})]:
        assert client.post(url, body).status_code == 403, url
    assert (state(draft), state(released)) == before


# --- Artifacts tab ----------------------------------------------------------------------

def test_an_unsafe_artifact_shows_its_verdict_and_flagged_imports_and_no_make_current(world, client_as, artifact_root):  # noqa: F811
    artifact = store_artifact(world.record, world.editor, b"\x80\x04.", file_name="model.pkl")
    Artifact.objects.filter(pk=artifact.pk).update(
        safety="unsafe", safety_details={"dangerous_imports": ["os.system"], "unknown_imports": [], "imports": []},
    )
    text = client_as("editor").get(tab_url(world.record, "artifacts")).content.decode()
    assert ">Unsafe</span>" in text and "os.system" in text
    make_current = reverse("modelrepo:artifact_make_current",
                           kwargs={"product_id": world.record.pk, "artifact_id": artifact.pk})
    assert make_current not in text


def test_a_suspicious_artifact_lists_its_unknown_imports_and_can_be_made_current(world, client_as, artifact_root):  # noqa: F811
    artifact = store_artifact(world.record, world.editor, b"\x80\x04.", file_name="model.pkl")
    Artifact.objects.filter(pk=artifact.pk).update(
        safety="suspicious", safety_details={"dangerous_imports": [], "unknown_imports": ["mylib.Layer"]},
    )
    text = client_as("editor").get(tab_url(world.record, "artifacts")).content.decode()
    assert ">Suspicious</span>" in text and "mylib.Layer" in text
    assert reverse("modelrepo:artifact_make_current",
                   kwargs={"product_id": world.record.pk, "artifact_id": artifact.pk}) in text


def test_integrity_is_shown_with_the_last_check(world, client_as, artifact_root):  # noqa: F811
    artifact = store_artifact(world.record, world.editor, b"data", file_name="a.safetensors")
    checked = datetime(2025, 3, 4, 5, 6, tzinfo=timezone.utc)
    Artifact.objects.filter(pk=artifact.pk).update(integrity="corrupted", last_verified_at=checked)
    text = client_as("viewer").get(tab_url(world.record, "artifacts")).content.decode()
    assert ">Corrupted</span>" in text and "checked 2025-03-04" in text


def test_an_artifact_of_a_released_version_has_no_delete_button(world, client_as, released, artifact_root):  # noqa: F811
    loose = store_artifact(world.record, world.editor, b"loose", file_name="notes.txt", kind="other")
    text = client_as("editor").get(tab_url(world.record, "artifacts")).content.decode()
    for artifact in Artifact.objects.filter(version=released):
        assert reverse("modelrepo:artifact_delete",
                       kwargs={"product_id": world.record.pk, "artifact_id": artifact.pk}) not in text
    assert reverse("modelrepo:artifact_delete", kwargs={"product_id": world.record.pk, "artifact_id": loose.pk}) in text


def test_the_artifacts_tab_query_count_does_not_grow_with_released_artifacts(world, client_as, both,
                                                                              django_assert_max_num_queries):
    client = client_as("editor")
    client.get(tab_url(world.record, "artifacts"))
    with django_assert_max_num_queries(30):
        response = client.get(tab_url(world.record, "artifacts"))
    assert response.status_code == 200
    assert ModelVersion.objects.filter(product=world.record).count() == 2
