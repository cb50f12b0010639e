"""API views of comments and attachments on a product; thin, through catalog.collab."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, OpenApiTypes, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from catalog import collab
from catalog.api.collab_serializers import (
    AttachmentSerializer,
    AttachmentUploadSerializer,
    CommentBodySerializer,
    CommentSerializer,
)
from catalog.models import Attachment, Comment
from catalog import selectors as catalog_selectors
from catalog.views_collab import attachment_response
from common.api.schema import QarionAutoSchema, responses, uuid_path_parameter
from common.errors import NotFound

_PRODUCT_ID = uuid_path_parameter("product_id", "The product's id.")
_COMMENT_ID = uuid_path_parameter("comment_id", "The comment's id.")
_ATTACHMENT_ID = uuid_path_parameter("attachment_id", "The attachment's id.")


def _product(request, product_id):
    return catalog_selectors.visible_product(user=request.user, product_id=product_id)


def _one(model, product, pk, what):
    try:
        obj = model.objects.select_related("product__space").filter(product=product, pk=pk).first()
    except (DjangoValidationError, ValueError):
        obj = None
    if obj is None:
        raise NotFound(f"No such {what} on this product.")
    return obj


class CommentListView(generics.GenericAPIView):
    schema = QarionAutoSchema()
    serializer_class = CommentSerializer
    queryset = Comment.objects.none()
    filter_backends = []

    @extend_schema(tags=["comments"], summary="The product's comments, oldest first", parameters=[_PRODUCT_ID],
                   responses=responses({200: CommentSerializer(many=True)}, 404))
    def get(self, request, product_id):
        product = _product(request, product_id)
        page = self.paginate_queryset(collab.comment_list(product=product))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(tags=["comments"], summary="Comment on the product",
                   description="Space members and above, and anyone with a role on the product. Markdown; "
                   "rendered through a sanitiser.",
                   parameters=[_PRODUCT_ID], request=CommentBodySerializer,
                   responses=responses({201: CommentSerializer}, 400, 403, 404))
    def post(self, request, product_id):
        product = _product(request, product_id)
        body = CommentBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        comment = collab.comment_create(actor=request.user, product=product, body=body.validated_data["body"])
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)


class CommentDetailView(generics.GenericAPIView):
    schema = QarionAutoSchema()
    serializer_class = CommentSerializer
    queryset = Comment.objects.none()
    filter_backends = []

    @extend_schema(tags=["comments"], summary="Edit your comment", parameters=[_PRODUCT_ID, _COMMENT_ID],
                   request=CommentBodySerializer, responses=responses({200: CommentSerializer}, 400, 403, 404))
    def patch(self, request, product_id, comment_id):
        comment = _one(Comment, _product(request, product_id), comment_id, "comment")
        body = CommentBodySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        comment = collab.comment_update(actor=request.user, comment=comment, body=body.validated_data["body"])
        return Response(CommentSerializer(comment).data)

    @extend_schema(tags=["comments"], summary="Delete your comment (a deleted marker stays)",
                   parameters=[_PRODUCT_ID, _COMMENT_ID], responses=responses({204: None}, 403, 404))
    def delete(self, request, product_id, comment_id):
        comment = _one(Comment, _product(request, product_id), comment_id, "comment")
        collab.comment_delete(actor=request.user, comment=comment)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AttachmentListView(generics.GenericAPIView):
    schema = QarionAutoSchema()
    serializer_class = AttachmentSerializer
    queryset = Attachment.objects.none()
    filter_backends = []
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(tags=["attachments"], summary="The product's attachments, newest first", parameters=[_PRODUCT_ID],
                   responses=responses({200: AttachmentSerializer(many=True)}, 404))
    def get(self, request, product_id):
        product = _product(request, product_id)
        page = self.paginate_queryset(collab.attachment_list(product=product))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(tags=["attachments"], summary="Attach a file",
                   description="Users who can edit the product. Send `multipart/form-data` with `file`; larger than "
                   "QARION_ATTACHMENT_MAX_SIZE answers 413 `attachment_too_large`.",
                   parameters=[_PRODUCT_ID], request={"multipart/form-data": AttachmentUploadSerializer},
                   responses=responses({201: AttachmentSerializer}, 400, 403, 404, 413))
    def post(self, request, product_id):
        product = _product(request, product_id)
        body = AttachmentUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        attachment = collab.attachment_upload(actor=request.user, product=product,
                                              uploaded_file=body.validated_data["file"])
        return Response(AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)


class AttachmentDetailView(generics.GenericAPIView):
    schema = QarionAutoSchema()
    serializer_class = AttachmentSerializer
    queryset = Attachment.objects.none()
    filter_backends = []

    @extend_schema(tags=["attachments"], summary="Delete an attachment (uploader or space admin)",
                   parameters=[_PRODUCT_ID, _ATTACHMENT_ID], responses=responses({204: None}, 403, 404))
    def delete(self, request, product_id, attachment_id):
        attachment = _one(Attachment, _product(request, product_id), attachment_id, "attachment")
        collab.attachment_delete(actor=request.user, attachment=attachment)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AttachmentDownloadView(generics.GenericAPIView):
    schema = QarionAutoSchema()
    serializer_class = AttachmentSerializer
    queryset = Attachment.objects.none()
    filter_backends = []

    @extend_schema(tags=["attachments"], summary="Download an attachment",
                   description="Always a download: `Content-Disposition: attachment`, `X-Content-Type-Options: nosniff`.",
                   parameters=[_PRODUCT_ID, _ATTACHMENT_ID],
                   responses=responses({200: OpenApiResponse(OpenApiTypes.BINARY, description="The file's bytes.")}, 404))
    def get(self, request, product_id, attachment_id):
        attachment = _one(Attachment, _product(request, product_id), attachment_id, "attachment")
        return attachment_response(attachment)
