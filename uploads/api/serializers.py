from rest_framework import serializers

from common.api.serializers import StrictBooleanField, StrictFieldsMixin, StrictIntegerField
from modelrepo.api.artifacts import ArtifactSerializer
from modelrepo.choices import ArtifactKind
from uploads import services
from uploads.choices import Transfer
from uploads.models import UploadSession


class UploadStartSerializer(StrictFieldsMixin, serializers.Serializer):
    """A new upload session: the file's name, size and kind, and what to attach it to. Types are
    strict (a number is a JSON number, a flag a JSON boolean) and unknown fields are refused."""

    file_name = serializers.CharField(trim_whitespace=False, max_length=1000)
    content_type = serializers.CharField(required=False, allow_blank=True, max_length=1000)
    total_size = StrictIntegerField(help_text="Size of the whole file in bytes.")
    artifact_kind = serializers.ChoiceField(choices=ArtifactKind.choices)
    expected_sha256 = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=200)
    version_id = serializers.UUIDField(required=False, allow_null=True)
    training_run_id = serializers.UUIDField(required=False, allow_null=True)
    make_current = StrictBooleanField(required=False, default=False)
    transfer = serializers.ChoiceField(
        choices=Transfer.choices, required=False, default=Transfer.SERVER,
        help_text="`direct` asks to send the parts straight to the bucket (object storage with QARION_UPLOAD_DIRECT "
        "on); the session's `transfer` says which one the server chose.")


class UploadCompleteSerializer(serializers.Serializer):
    expected_sha256 = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=200,
                                            help_text="Overrides the checksum given at start.")


class UploadErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.DictField()


class UploadSessionSerializer(serializers.ModelSerializer):
    version_id = serializers.UUIDField(allow_null=True, read_only=True)
    training_run_id = serializers.UUIDField(allow_null=True, read_only=True)
    artifact_id = serializers.UUIDField(allow_null=True, read_only=True)
    received_chunks = serializers.SerializerMethodField()
    received_bytes = serializers.SerializerMethodField()
    error = UploadErrorSerializer(
        allow_null=True, read_only=True,
        help_text="Why the session is not completed; on a completed session, code `make_current_skipped` says the "
        "file was attached but not made current (the change policy refused it after the session started).")
    artifact = ArtifactSerializer(allow_null=True, read_only=True, help_text="The created artifact, once completed.")

    class Meta:
        model = UploadSession
        fields = ["id", "status", "file_name", "content_type", "total_size", "artifact_kind", "expected_sha256",
                  "chunk_size", "total_chunks", "received_chunks", "received_bytes", "expires_at", "version_id",
                  "training_run_id", "make_current", "transfer", "artifact_id", "artifact", "error", "created_at",
                  "updated_at"]
        read_only_fields = fields

    def get_received_chunks(self, obj) -> list[int]:
        return services.received_chunks(obj)[0]

    def get_received_bytes(self, obj) -> int:
        return services.received_chunks(obj)[1]


class ChunkReceiptSerializer(serializers.Serializer):
    chunk_index = serializers.IntegerField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    received_count = serializers.IntegerField()
    received_bytes = serializers.IntegerField()


class PartRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    index = StrictIntegerField(min_value=0, help_text="The chunk index; the bucket's part number is index + 1.")
    sha256 = serializers.CharField(min_length=44, max_length=44, help_text="Base64 of the part's sha-256.")


class PartsRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    parts = PartRequestSerializer(many=True, min_length=1, max_length=services.MAX_PART_URLS)


class PartUrlSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    url = serializers.URLField()
    method = serializers.CharField()
    headers = serializers.DictField(child=serializers.CharField(),
                                    help_text="Send these headers with the PUT: the signature covers the checksum.")
    expires_at = serializers.DateTimeField()


class PartUrlsSerializer(serializers.Serializer):
    parts = PartUrlSerializer(many=True)
