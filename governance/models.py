import uuid

from django.conf import settings
from django.db import models

from catalog.models import Organization, Product
from governance.choices import ProductRoleName


class ProductRole(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="roles")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="product_roles")
    role = models.CharField(max_length=16, choices=ProductRoleName.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["product", "user", "role"], name="uniq_product_role")]

    def __str__(self):
        return f"{self.user} is {self.role} of {self.product}"


class AuditLogIsAppendOnly(Exception):
    pass


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditLogIsAppendOnly("Audit events cannot be changed.")

    def delete(self):
        raise AuditLogIsAppendOnly("Audit events cannot be deleted.")


class AuditEvent(models.Model):
    """One entry of the append-only, hash-chained audit log (one chain per organization).

    Actor and target are snapshots (id + name), not foreign keys, so deleting a user or a
    product neither cascades into the log nor is blocked by it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # One chain per organization; events outside any organization (API tokens, logins of
    # users in none) go to the installation chain.
    chain = models.CharField(max_length=64)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False
    )
    sequence = models.PositiveBigIntegerField()
    actor_id = models.CharField(max_length=64, blank=True)
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    target_name = models.CharField(max_length=300, blank=True)
    space_id = models.CharField(max_length=64, blank=True)
    space_slug = models.CharField(max_length=64, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["chain", "sequence"]
        constraints = [models.UniqueConstraint(fields=["chain", "sequence"], name="uniq_audit_sequence")]
        indexes = [
            models.Index(fields=["target_type", "target_id"]),
            models.Index(fields=["space_id", "created_at"]),
        ]

    def __str__(self):
        return f"#{self.sequence} {self.action} {self.target_type} {self.target_name}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditLogIsAppendOnly("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogIsAppendOnly("Audit events cannot be deleted.")


class AuditChainHead(models.Model):
    """The last sequence and hash of a chain; a cut-off tail shows as a
    head that no stored event matches."""

    chain = models.CharField(max_length=64, primary_key=True)
    sequence = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)
    updated_at = models.DateTimeField(auto_now=True)


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


class AccessLevel(models.TextChoices):
    VIEW = "view", "View"
    EDIT = "edit", "Edit"


class AccessRequestStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    GRANTED = "granted", "Granted"
    REVOKED = "revoked", "Revoked"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


class AccessRequest(models.Model):
    """A request for view or edit access to a space or to one product of it. A granted
    product request counts in the access policy until it is revoked; a granted space request
    becomes a space membership."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_requests")
    space = models.ForeignKey("catalog.Space", on_delete=models.CASCADE, related_name="access_requests")
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.CASCADE, related_name="access_requests")
    level = models.CharField(max_length=8, choices=AccessLevel.choices, default=AccessLevel.VIEW)
    justification = models.TextField()
    status = models.CharField(max_length=16, choices=AccessRequestStatus.choices, default=AccessRequestStatus.REQUESTED)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["requester", "status"]), models.Index(fields=["product", "status"])]

    def __str__(self):
        return f"{self.requester} asks {self.level} on {self.product or self.space}"


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
