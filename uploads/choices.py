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


class Transfer(models.TextChoices):
    SERVER = "server", "Through the server"
    DIRECT = "direct", "Straight to the bucket"
