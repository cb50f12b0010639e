import uuid

from django.conf import settings
from django.db import models

from catalog.models import Product
from modelrepo.choices import ArtifactKind
from modelrepo.models import Artifact, ModelVersion, TrainingRun
from uploads.choices import ChunkState, SessionStatus, Transfer


class UploadSession(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="upload_sessions")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    file_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255, default="application/octet-stream")
    total_size = models.PositiveBigIntegerField()
    artifact_kind = models.CharField(max_length=16, choices=ArtifactKind.choices)
    expected_sha256 = models.CharField(max_length=64, blank=True)
    version = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    training_run = models.ForeignKey(TrainingRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    make_current = models.BooleanField(default=False)
    chunk_size = models.PositiveBigIntegerField()
    total_chunks = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=SessionStatus.choices, default=SessionStatus.OPEN)
    error = models.JSONField(null=True, blank=True)
    expires_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    assembly_attempts = models.PositiveSmallIntegerField(default=0)
    artifact = models.OneToOneField(Artifact, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    staging_purged = models.BooleanField(default=False)
    # How the bytes travel: through the server, or from the client straight to the bucket.
    transfer = models.CharField(max_length=8, choices=Transfer.choices, default=Transfer.SERVER)
    # With object storage, the bucket's multipart upload the chunks become parts of ("" while
    # chunks are staged on local disk).
    multipart_upload_id = models.CharField(max_length=1024, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "expires_at"]),
            models.Index(fields=["product", "status"]),
        ]

    def __str__(self):
        return f"{self.file_name} ({self.status})"


class UploadChunk(models.Model):
    session = models.ForeignKey(UploadSession, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    state = models.CharField(max_length=16, choices=ChunkState.choices, default=ChunkState.WRITING)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["index"]
        constraints = [models.UniqueConstraint(fields=["session", "index"], name="uniq_chunk_index")]
