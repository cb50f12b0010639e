"""Comments (sanitised markdown, author edits, deleted markers) and attachments (size limit,
id-derived storage keys, served as downloads)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog import collab
from catalog.models import Attachment, AuditEvent, Comment
from common.errors import PermissionDenied


@pytest.mark.parametrize("markdown_text, forbidden", [
    ("<script>alert(1)</script>", "<script"),
    ("[click](javascript:alert(1))", "javascript:"),
    ('<a href="javascript:alert(1)">x</a>', "javascript:"),
    ('<img src="x" onerror="alert(1)">', "onerror"),
    ('<p onclick="alert(1)">hi</p>', "onclick"),
    ('<iframe src="https://evil.example"></iframe>', "<iframe"),
    ("[x](JaVaScRiPt:alert(1))", "javascript:"),
])
def test_markdown_is_rendered_inert(markdown_text, forbidden):
    html = collab.render_markdown(markdown_text)
    assert forbidden not in html.lower()


def test_markdown_keeps_safe_formatting_and_links():
    html = collab.render_markdown("**bold** and [docs](https://example.com)\n\n```\ncode\n```")
    assert "<strong>bold</strong>" in html
    assert 'href="https://example.com"' in html and 'rel="nofollow noopener noreferrer"' in html
    assert "<code>code" in html


def test_the_governance_tab_renders_comments_sanitised(world, client_as):
    collab.comment_create(actor=world.member, product=world.record,
                          body='<script>alert("x")</script> [y](javascript:alert(1)) <b onmouseover="z()">bold</b>')
    body = client_as("viewer").get(f"/models/{world.record.pk}/governance/").content.decode()
    comment_html = body.split('class="comment-body">', 1)[1].split("</div>", 1)[0]
    assert "<script" not in comment_html and "javascript:" not in comment_html and "onmouseover" not in comment_html
    assert "<b>bold</b>" in comment_html


def test_authors_edit_their_own_comments_only(world):
    comment = collab.comment_create(actor=world.member, product=world.record, body="first")
    collab.comment_update(actor=world.member, comment=comment, body="second")
    assert Comment.objects.get(pk=comment.pk).body == "second"
    with pytest.raises(PermissionDenied):
        collab.comment_update(actor=world.space_admin, comment=comment, body="hijack")
    with pytest.raises(PermissionDenied):
        collab.comment_delete(actor=world.editor, comment=comment)


def test_a_deleted_comment_leaves_a_marker_and_an_audit_event(world, client_as):
    comment = collab.comment_create(actor=world.member, product=world.record, body="secret words")
    client_as("member").post(f"/models/{world.record.pk}/governance/comments/{comment.pk}/delete/")
    comment.refresh_from_db()
    assert comment.is_deleted and comment.body == ""
    event = AuditEvent.objects.get(action="comment.deleted")
    assert event.changes["body"] == {"old": "secret words", "new": None} and event.actor_name == "member"
    page = client_as("viewer").get(f"/models/{world.record.pk}/governance/").content.decode()
    assert "This comment was deleted." in page and "secret words" not in page
    api = client_as("viewer").get(f"/api/v1.0/catalog/products/{world.record.pk}/comments").json()
    assert api["results"][0]["deleted"] is True and api["results"][0]["body"] == ""


def test_a_space_admin_may_delete_any_comment(world):
    comment = collab.comment_create(actor=world.member, product=world.record, body="x")
    collab.comment_delete(actor=world.space_admin, comment=comment)
    assert Comment.objects.get(pk=comment.pk).is_deleted


def test_empty_comments_are_refused_with_the_error_format(world, api_as):
    response = api_as("member").post(f"/api/v1.0/catalog/products/{world.record.pk}/comments", {"body": " "},
                                     format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "validation_error"


def test_attachments_are_stored_under_an_id_derived_key_and_served_as_downloads(world, api_as):
    url = f"/api/v1.0/catalog/products/{world.record.pk}/attachments"
    created = api_as("editor").post(url, {"file": SimpleUploadedFile("../../evil.html", b"<script>x</script>",
                                                                     content_type="text/html")}, format="multipart")
    assert created.status_code == 201, created.content
    attachment = Attachment.objects.get(pk=created.json()["id"])
    assert attachment.file_name == "evil.html"
    assert attachment.storage_key == f"attachments/{attachment.pk.hex[:2]}/{attachment.pk.hex}"
    assert "evil" not in attachment.storage_key
    response = api_as("viewer").get(f"{url}/{attachment.pk}/download")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/octet-stream"
    assert b"".join(response.streaming_content) == b"<script>x</script>"


def test_attachments_over_the_size_limit_are_refused(world, api_as, settings):
    settings.QARION_ATTACHMENT_MAX_SIZE = 10
    response = api_as("editor").post(f"/api/v1.0/catalog/products/{world.record.pk}/attachments",
                                     {"file": SimpleUploadedFile("big.bin", b"x" * 11)}, format="multipart")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "attachment_too_large"
    assert not Attachment.objects.exists()


def test_deleting_an_attachment_removes_its_bytes(world, django_capture_on_commit_callbacks):
    attachment = collab.attachment_upload(actor=world.editor, product=world.record,
                                          uploaded_file=SimpleUploadedFile("a.txt", b"abc"))
    storage = collab.attachment_storage()
    assert storage.exists(attachment.storage_key)
    with django_capture_on_commit_callbacks(execute=True):
        collab.attachment_delete(actor=world.editor, attachment=attachment)
    assert not storage.exists(attachment.storage_key)
    assert AuditEvent.objects.filter(action="attachment.deleted").count() == 1


def test_the_governance_tab_lets_an_editor_attach_a_file(world, client_as):
    response = client_as("editor").post(f"/models/{world.record.pk}/governance/attachments/add/",
                                        {"file": SimpleUploadedFile("card.md", b"# card")})
    assert response.status_code == 302
    page = client_as("viewer").get(f"/models/{world.record.pk}/governance/").content.decode()
    assert "card.md" in page
