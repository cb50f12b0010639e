import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower

from catalog.choices import (
    Criticality,
    OrganizationRole,
    ProductRoleName,
    ProductType,
    Sensitivity,
    SpaceRole,
    TokenScope,
)

slug_validator = RegexValidator(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
    "Use lowercase letters, digits and single hyphens, starting and ending with a letter or digit.",
    code="invalid_slug",
)


class Organization(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(max_length=64, unique=True, validators=[slug_validator])
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class OrganizationMembership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organization_memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=OrganizationRole.choices, default=OrganizationRole.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organization"], name="uniq_org_membership")]

    def __str__(self):
        return f"{self.user} in {self.organization} ({self.role})"


def default_change_policy():
    return {
        "risk_classification": True,
        "deployment_status_production": True,
        "high_risk_release": True,
        "high_risk_current_pointer": True,
    }


class Space(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="spaces")
    slug = models.SlugField(max_length=64, unique=True, validators=[slug_validator])
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    catalog_product_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Most non-archived products the space may hold; empty means unlimited."
    )
    change_policy = models.JSONField(default=default_change_policy, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class SpaceMembership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="space_memberships")
    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=SpaceRole.choices, default=SpaceRole.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "space"], name="uniq_space_membership")]

    def __str__(self):
        return f"{self.user} in {self.space} ({self.role})"


class ApiToken(models.Model):
    """An automation credential. Only the SHA-256 of the secret is stored; the prefix
    (public, indexed) finds the row, the digest is compared in constant time."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_sha256 = models.CharField(max_length=64)
    scope = models.CharField(max_length=8, choices=TokenScope.choices, default=TokenScope.READ)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="uniq_token_name_per_user")]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"


class Tag(models.Model):
    name = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Product(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    space = models.ForeignKey(Space, on_delete=models.PROTECT, related_name="products")
    product_type = models.CharField(max_length=32, choices=ProductType.choices, default=ProductType.ML_MODEL)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, validators=[slug_validator])
    description = models.TextField(blank=True)
    documentation = models.TextField(blank=True, help_text="Markdown.")
    provider = models.CharField(max_length=200, blank=True)
    hosting_location = models.CharField(max_length=200, blank=True)
    criticality = models.CharField(max_length=16, choices=Criticality.choices, default=Criticality.MEDIUM)
    sensitivity = models.CharField(max_length=16, choices=Sensitivity.choices, default=Sensitivity.INTERNAL)
    tags = models.ManyToManyField(Tag, blank=True, related_name="products")
    is_archived = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "space", name="uniq_product_name_in_space"),
            models.UniqueConstraint(fields=["space", "slug"], name="uniq_product_slug_in_space"),
        ]
        indexes = [
            models.Index(fields=["space", "product_type", "is_archived"]),
            models.Index(fields=["updated_at"]),
        ]

    def __str__(self):
        return self.name


class Comment(models.Model):
    """A markdown comment on a product. Deleting one keeps the row as a "deleted" marker
    (body cleared), so the thread still shows where it was; the audit log holds the rest."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    author_name = models.CharField(max_length=150, blank=True)
    body = models.TextField(blank=True, help_text="Markdown.")
    created_at = models.DateTimeField(auto_now_add=True)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["product", "created_at"])]

    def __str__(self):
        return f"Comment by {self.author_name or 'unknown'} on {self.product}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Attachment(models.Model):
    """A file attached to a product. Stored under a key derived from its id, never from the
    file name, and only ever served as a download."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="attachments")
    file_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=200, default="application/octet-stream")
    size_bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_key = models.CharField(max_length=300)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    uploaded_by_name = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["product", "created_at"])]

    def __str__(self):
        return self.file_name


class LineageEdge(models.Model):
    """Data flows from ``upstream`` to ``downstream`` (a dataset feeds a model, a model feeds
    an app). Edges may cross spaces; the services refuse self-loops, duplicates and cycles."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    upstream = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="downstream_edges")
    downstream = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="upstream_edges")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["upstream", "downstream"], name="uniq_lineage_edge"),
            models.CheckConstraint(condition=~models.Q(upstream=models.F("downstream")), name="lineage_no_self_loop"),
        ]

    def __str__(self):
        return f"{self.upstream} → {self.downstream}"

# --- Who may do what, and the record of what was done ---------------------------------------------
# Product roles and granted access requests add to space and organization roles in the access
# policy (catalog.access); the audit log is written by catalog.audit. Their tables keep the
# names they were created with.

class ProductRole(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="roles")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="product_roles")
    role = models.CharField(max_length=16, choices=ProductRoleName.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "governance_productrole"
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
        db_table = "governance_auditevent"
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

    class Meta:
        db_table = "governance_auditchainhead"

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
    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="access_requests")
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
        db_table = "governance_accessrequest"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["requester", "status"]), models.Index(fields=["product", "status"])]

    def __str__(self):
        return f"{self.requester} asks {self.level} on {self.product or self.space}"


# --- Quality checks on a product and their results ------------------------------------------------
# Written by the quality workflow (governance.quality); read by every list that filters or sorts
# by health.

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
        db_table = "governance_qualitycheck"
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
        db_table = "governance_qualityresult"
        ordering = ["-executed_at", "-id"]
        indexes = [models.Index(fields=["check_ref", "executed_at"])]

    def __str__(self):
        return f"{self.check_ref.name}: {self.status}"
