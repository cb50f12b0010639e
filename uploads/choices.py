from django.db import models


class SessionStatus(models.TextChoices):
    OPEN = "open", "Open"
    ASSEMBLING = "assembling", "Assembling"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"
    ABORTED = "aborted", "Aborted"


class ChunkState(models.TextChoices):
    WRITING = "writing", "Writing"
    RECEIVED = "received", "Received"
