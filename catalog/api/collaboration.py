"""API of comments and attachments on a product; thin, through catalog.collab."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, OpenApiTypes, extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser

from catalog import collab
from catalog.api.scopes import PRODUCT_ID, ProductView
from catalog.models import Attachment, Comment
from catalog.views.collaboration import attachment_response
from common.api.schema import responses, uuid_path_parameter
from common.errors import NotFound


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


_COMMENT_ID = uuid_path_parameter("comment_id", "The comment's id.")
_ATTACHMENT_ID = uuid_path_parameter("attachment_id", "The attachment's id.")


class _OnProductView(ProductView):
    """A view of one comment or attachment of the product: a ``model`` row named ``what``,
    whose id is the path's ``<what>_id``."""

    model = None
    what = ""

    def one(self):
        product = self.product()
        try:
            obj = self.model.objects.select_related("product__space").filter(
                product=product, pk=self.kwargs[f"{self.what}_id"]).first()
        except (DjangoValidationError, ValueError):
            obj = None
        if obj is None:
            raise NotFound(f"No such {self.what} on this product.")
        return obj


class CommentListView(ProductView):
    serializer_class = CommentSerializer

    @extend_schema(tags=["comments"], summary="The product's comments, oldest first", parameters=[PRODUCT_ID],
                   responses=responses({200: CommentSerializer(many=True)}, 404))
    def get(self, request, product_id):
        return self.answer_page(collab.comment_list(product=self.product()))

    @extend_schema(tags=["comments"], summary="Comment on the product",
                   description="Space members and above, and anyone with a role on the product. Markdown; "
                   "rendered through a sanitiser.",
                   parameters=[PRODUCT_ID], request=CommentBodySerializer,
                   responses=responses({201: CommentSerializer}, 400, 403, 404))
    def post(self, request, product_id):
        product = self.product()
        body = self.valid_body(CommentBodySerializer)["body"]
        return self.created(collab.comment_create(actor=request.user, product=product, body=body))


class CommentDetailView(_OnProductView):
    serializer_class = CommentSerializer
    model = Comment
    what = "comment"

    @extend_schema(tags=["comments"], summary="Edit your comment", parameters=[PRODUCT_ID, _COMMENT_ID],
                   request=CommentBodySerializer, responses=responses({200: CommentSerializer}, 400, 403, 404))
    def patch(self, request, product_id, comment_id):
        comment = self.one()
        body = self.valid_body(CommentBodySerializer)["body"]
        return self.answer(collab.comment_update(actor=request.user, comment=comment, body=body))

    @extend_schema(tags=["comments"], summary="Delete your comment (a deleted marker stays)",
                   parameters=[PRODUCT_ID, _COMMENT_ID], responses=responses({204: None}, 403, 404))
    def delete(self, request, product_id, comment_id):
        collab.comment_delete(actor=request.user, comment=self.one())
        return self.no_content()


class AttachmentListView(ProductView):
    serializer_class = AttachmentSerializer
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(tags=["attachments"], summary="The product's attachments, newest first", parameters=[PRODUCT_ID],
                   responses=responses({200: AttachmentSerializer(many=True)}, 404))
    def get(self, request, product_id):
        return self.answer_page(collab.attachment_list(product=self.product()))

    @extend_schema(tags=["attachments"], summary="Attach a file",
                   description="Users who can edit the product. Send `multipart/form-data` with `file`; larger than "
                   "QARION_ATTACHMENT_MAX_SIZE answers 413 `attachment_too_large`.",
                   parameters=[PRODUCT_ID], request={"multipart/form-data": AttachmentUploadSerializer},
                   responses=responses({201: AttachmentSerializer}, 400, 403, 404, 413))
    def post(self, request, product_id):
        product = self.product()
        uploaded_file = self.valid_body(AttachmentUploadSerializer)["file"]
        return self.created(collab.attachment_upload(actor=request.user, product=product, uploaded_file=uploaded_file))


class _AttachmentView(_OnProductView):
    model = Attachment
    what = "attachment"


class AttachmentDetailView(_AttachmentView):
    @extend_schema(tags=["attachments"], summary="Delete an attachment (uploader or space admin)",
                   parameters=[PRODUCT_ID, _ATTACHMENT_ID], responses=responses({204: None}, 403, 404))
    def delete(self, request, product_id, attachment_id):
        collab.attachment_delete(actor=request.user, attachment=self.one())
        return self.no_content()


class AttachmentDownloadView(_AttachmentView):
    @extend_schema(tags=["attachments"], summary="Download an attachment",
                   description="Always a download: `Content-Disposition: attachment`, `X-Content-Type-Options: nosniff`.",
                   parameters=[PRODUCT_ID, _ATTACHMENT_ID],
                   responses=responses({200: OpenApiResponse(OpenApiTypes.BINARY, description="The file's bytes.")}, 404))
    def get(self, request, product_id, attachment_id):
        return attachment_response(self.one())
