from rest_framework import serializers

from catalog import collab
from catalog.models import Attachment, Comment


class CommentSerializer(serializers.ModelSerializer):
    html = serializers.SerializerMethodField(help_text="The body rendered as sanitised HTML (empty once deleted).")
    deleted = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = ["id", "author_name", "body", "html", "created_at", "edited_at", "deleted", "deleted_at"]
        read_only_fields = fields

    def get_html(self, comment) -> str:
        return "" if comment.is_deleted else collab.render_markdown(comment.body)

    def get_deleted(self, comment) -> bool:
        return comment.is_deleted


class CommentBodySerializer(serializers.Serializer):
    body = serializers.CharField(max_length=collab.COMMENT_MAX_LENGTH, help_text="Markdown.")


class AttachmentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "file_name", "content_type", "size_bytes", "sha256", "uploaded_by_name", "created_at",
                  "download_url"]
        read_only_fields = fields

    def get_download_url(self, attachment) -> str:
        return f"/api/v1.0/catalog/products/{attachment.product_id}/attachments/{attachment.pk}/download"


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The file (multipart/form-data).")
