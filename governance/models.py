import uuid

from django.conf import settings
from django.db import models

from catalog.models import Product


# --- Change and access requests -----------------------------------------------------------------

class ChangeRequestStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PENDING = "pending", "Pending review"
    APPROVED = "approved", "Approved"
    APPLIED = "applied", "Applied"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"
    STALE = "stale", "Stale"


class ReviewDecision(models.TextChoices):
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"


class ChangeRequest(models.Model):
    """A proposed change of a record's fields, reviewed before it is applied.

    ``changes`` is a list of ``{field, old_value, new_value}``; ``base_snapshot`` holds every
    field's value when the request was opened; ``required_groups`` the product role names whose
    approval it needs (fixed when it is submitted)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="change_requests")
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="change_requests")
    title = models.CharField(max_length=200)
    justification = models.TextField()
    changes = models.JSONField(default=list)
    base_snapshot = models.JSONField(default=dict, blank=True)
    required_groups = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=ChangeRequestStatus.choices, default=ChangeRequestStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["product", "status"])]

    def __str__(self):
        return self.title


class ChangeReview(models.Model):
    change_request = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="change_reviews")
    decision = models.CharField(max_length=16, choices=ReviewDecision.choices)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["change_request", "reviewer"], name="uniq_change_review")]

    def __str__(self):
        return f"{self.reviewer} {self.decision}s {self.change_request}"


class QualityCheckType(models.TextChoices):
    DOCUMENTATION = "documentation", "Documentation complete for the risk class"
    GPAI_DUTIES = "gpai_duties", "GPAI duties documented"
    MODEL_CARD = "model_card", "Model card present"
    EVAL_REPORT = "eval_report", "Evaluation report present"
    CHECKSUM = "checksum", "Current artifact checksum verified"
    OWNER = "owner", "Owner assigned"
    STEWARD = "steward", "Steward assigned"
    CUSTOM = "custom", "Custom"


class QualitySeverity(models.TextChoices):
    WARNING = "warning", "Warning"
    ERROR = "error", "Error"
    CRITICAL = "critical", "Critical"


class QualityStatus(models.TextChoices):
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
    ERROR = "error", "Error"


class QualityCheck(models.Model):
    """One check on a product: a built-in governance check (created on the first run) or a
    custom one whose results automation posts. ``last_status`` mirrors the newest result so
    the health score and the record list need no per-check subquery."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="quality_checks")
    name = models.CharField(max_length=200)
    check_type = models.CharField(max_length=32, choices=QualityCheckType.choices, default=QualityCheckType.CUSTOM)
    severity = models.CharField(max_length=16, choices=QualitySeverity.choices, default=QualitySeverity.ERROR)
    description = models.TextField(blank=True)
    config = models.JSONField(default=dict, blank=True)
    enabled = models.BooleanField(default=True)
    last_status = models.CharField(max_length=16, choices=QualityStatus.choices, blank=True)
    last_executed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["product", "name"]
        constraints = [
            models.UniqueConstraint(fields=["product", "name"], name="uniq_quality_check_name"),
            models.UniqueConstraint(fields=["product", "check_type"], condition=~models.Q(check_type="custom"),
                                    name="uniq_builtin_quality_check"),
        ]

    def __str__(self):
        return f"{self.name} on {self.product}"

    @property
    def is_builtin(self) -> bool:
        return self.check_type != QualityCheckType.CUSTOM


class QualityResult(models.Model):
    """One run of one check; every run appends a row (the history is kept)."""

    id = models.BigAutoField(primary_key=True)
    check_ref = models.ForeignKey(QualityCheck, on_delete=models.CASCADE, related_name="results",
                                  db_column="check_id")
    status = models.CharField(max_length=16, choices=QualityStatus.choices)
    value = models.FloatField(null=True, blank=True)
    message = models.TextField(blank=True)
    # What to do about a failure: "field:<name>" (a record field), "artifacts" or "roles".
    fix = models.CharField(max_length=64, blank=True)
    executed_at = models.DateTimeField()

    class Meta:
        ordering = ["-executed_at", "-id"]
        indexes = [models.Index(fields=["check_ref", "executed_at"])]

    def __str__(self):
        return f"{self.check_ref.name}: {self.status}"
