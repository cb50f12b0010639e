import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from catalog.models import Product
from modelrepo import rules
from modelrepo.choices import (
    AISystemType,
    ArtifactKind,
    DeploymentStatus,
    DetectedFormat,
    Environment,
    GPAITier,
    Integrity,
    LifecycleStage,
    ModelFamily,
    OperatorRole,
    RiskClassification,
    Safety,
    TaskType,
    UploadStatus,
    VersionKind,
    VersionStatus,
)

# The field groups of DOMAIN.md, used by the detail page and the forms to lay fields out.
FIELD_GROUPS = {
    "Classification": ["model_family", "task_type", "architecture", "framework", "intended_use", "limitations"],
    "Operations": ["environment", "lifecycle_stage", "deployment_status", "serving_url"],
    "Risk": ["risk_classification", "risk_rationale", "operator_role", "ai_system_type", "is_gpai", "gpai_tier"],
    "GPAI duties": [
        "training_compute_flops",
        "training_data_summary",
        "copyright_policy_url",
        "acceptable_use_policy_url",
        "downstream_obligations_doc",
        "open_source_license",
    ],
    "Schema": ["input_schema", "output_schema"],
    "Vendor": ["vendor", "vendor_product", "vendor_model_id", "deployment_environment", "business_use_case"],
}


def validate_json_object(value):
    if value is not None and not isinstance(value, dict):
        raise ValidationError("Must be a JSON object, such as {\"type\": \"object\"}.", code="not_an_object")


class ModelDetails(models.Model):
    """The model repository record of one AI/ML product (one-to-one)."""

    product = models.OneToOneField(Product, on_delete=models.CASCADE, primary_key=True, related_name="model_details")

    model_family = models.CharField(max_length=32, choices=ModelFamily.choices, default=ModelFamily.TRADITIONAL_ML)
    task_type = models.CharField(max_length=32, choices=TaskType.choices, blank=True)
    architecture = models.CharField(max_length=200, blank=True)
    framework = models.CharField(max_length=200, blank=True)
    intended_use = models.TextField(blank=True)
    limitations = models.TextField(blank=True)

    environment = models.CharField(max_length=16, choices=Environment.choices, blank=True)
    lifecycle_stage = models.CharField(max_length=16, choices=LifecycleStage.choices, default=LifecycleStage.IDEATION)
    deployment_status = models.CharField(
        max_length=16, choices=DeploymentStatus.choices, default=DeploymentStatus.DEVELOPMENT
    )
    serving_url = models.URLField(max_length=500, blank=True)

    risk_classification = models.CharField(
        max_length=16, choices=RiskClassification.choices, default=RiskClassification.UNCLASSIFIED
    )
    risk_rationale = models.TextField(blank=True)
    operator_role = models.CharField(max_length=32, choices=OperatorRole.choices, blank=True)
    ai_system_type = models.CharField(max_length=32, choices=AISystemType.choices, blank=True)
    is_gpai = models.BooleanField(default=False)
    gpai_tier = models.CharField(max_length=16, choices=GPAITier.choices, blank=True)

    # A float: 10^25 FLOP overflows a 64-bit integer.
    training_compute_flops = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0)])
    training_data_summary = models.TextField(blank=True)
    copyright_policy_url = models.URLField(max_length=500, blank=True)
    acceptable_use_policy_url = models.URLField(max_length=500, blank=True)
    downstream_obligations_doc = models.TextField(blank=True)
    open_source_license = models.CharField(max_length=100, blank=True)

    input_schema = models.JSONField(null=True, blank=True, validators=[validate_json_object])
    output_schema = models.JSONField(null=True, blank=True, validators=[validate_json_object])

    # The current release: one per product by construction (the pointer lives on the
    # one-to-one details row, which a make-current call locks).
    current_version = models.ForeignKey(
        "ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    vendor = models.CharField(max_length=200, blank=True)
    vendor_product = models.CharField(max_length=200, blank=True)
    vendor_model_id = models.CharField(max_length=200, blank=True)
    deployment_environment = models.CharField(max_length=200, blank=True)
    business_use_case = models.TextField(blank=True)

    class Meta:
        verbose_name = "model details"
        verbose_name_plural = "model details"
        indexes = [
            models.Index(fields=["model_family"]),
            models.Index(fields=["deployment_status"]),
            models.Index(fields=["risk_classification"]),
        ]

    def __str__(self):
        return f"Model details of {self.product}"

    def clean(self):
        if self.gpai_tier and not self.is_gpai:
            raise ValidationError({"gpai_tier": "A GPAI tier applies only to general-purpose AI models; set is_gpai first."})


sha256_validator = RegexValidator(rules.SHA256_PATTERN, "Give a SHA-256 as 64 lowercase hexadecimal characters.")
commit_sha_validator = RegexValidator(r"^[0-9a-f]{7,64}$", "Give a commit SHA as 7 to 64 hexadecimal characters.")


class TrainingRun(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="training_runs")
    name = models.CharField(max_length=200)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    hyperparameters = models.JSONField(default=dict, blank=True, validators=[validate_json_object])
    metrics = models.JSONField(default=dict, blank=True, validators=[validate_json_object])
    dataset_products = models.ManyToManyField(Product, blank=True, related_name="trained_runs")
    dataset_uris = models.JSONField(default=list, blank=True)
    code_repository = models.CharField(max_length=500, blank=True)
    code_commit = models.CharField(max_length=64, blank=True, validators=[commit_sha_validator])
    environment = models.JSONField(default=dict, blank=True, validators=[validate_json_object])
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["product", "name"], name="uniq_training_run_name")]

    def __str__(self):
        return self.name


class ModelVersion(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="versions")
    label = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=VersionKind.choices, default=VersionKind.RELEASE)
    release_notes = models.TextField(blank=True, help_text="Markdown.")
    release_date = models.DateField(null=True, blank=True)
    git_tag = models.CharField(max_length=200, blank=True)
    commit_sha = models.CharField(max_length=64, blank=True, validators=[commit_sha_validator])
    metrics = models.JSONField(default=dict, blank=True, validators=[validate_json_object])
    training_run = models.ForeignKey(TrainingRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="versions")
    status = models.CharField(max_length=16, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Who released it, kept when the user is deleted (the audit log keeps names the same way).
    released_by_name = models.CharField(max_length=150, blank=True)
    deprecated = models.BooleanField(default=False)
    deprecation_reason = models.TextField(blank=True)
    yanked = models.BooleanField(default=False)
    yank_reason = models.TextField(blank=True)
    # The signed manifest written at release (a Sigstore bundle, JSON) and the sha256 of the
    # PEM of the public key that signed it (the bundle's key hint).
    signature = models.TextField(blank=True)
    signature_key_id = models.CharField(max_length=64, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["product", "label"], name="uniq_version_label")]

    def __str__(self):
        return self.label

    @property
    def is_released(self) -> bool:
        return self.status == VersionStatus.RELEASED

    @property
    def releaser(self) -> str | None:
        """The username of who released it, also after that user was deleted."""
        if self.released_by_id is not None and self.released_by is not None:
            return self.released_by.get_username()
        return self.released_by_name or None


class CurrentVersionChange(models.Model):
    """History of the current-version pointer, so a rollback is one step."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="current_version_changes")
    from_version = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    to_version = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    from_label = models.CharField(max_length=100, blank=True)
    to_label = models.CharField(max_length=100, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    changed_by_name = models.CharField(max_length=150, blank=True)
    reason = models.TextField(blank=True)
    is_rollback = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class ArtifactQuerySet(models.QuerySet):
    def active(self):
        return self.filter(deleted_at__isnull=True)


class Artifact(models.Model):
    """A release file: bytes uploaded through a session and verified, or a reference to a
    file stored elsewhere. A row exists only once its upload completed."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="artifacts")
    version = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="artifacts")
    training_run = models.ForeignKey(TrainingRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="artifacts")
    file_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255, default="application/octet-stream")
    size_bytes = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64, validators=[sha256_validator])
    kind = models.CharField(max_length=16, choices=ArtifactKind.choices, default=ArtifactKind.OTHER)
    version_label = models.CharField(max_length=100, blank=True)
    upload_status = models.CharField(max_length=16, choices=UploadStatus.choices)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    storage_backend = models.CharField(max_length=32, blank=True)
    storage_key = models.CharField(max_length=500, blank=True)
    external_uri = models.CharField(max_length=2000, blank=True)
    # The session that produced the bytes: at most one artifact per session (database-enforced).
    source_session_id = models.UUIDField(null=True, blank=True, unique=True)
    detected_format = models.CharField(max_length=16, choices=DetectedFormat.choices, default=DetectedFormat.UNKNOWN)
    format_details = models.JSONField(default=dict, blank=True)
    is_current = models.BooleanField(default=False)
    integrity = models.CharField(max_length=16, choices=Integrity.choices, blank=True)
    last_verified_at = models.DateTimeField(null=True, blank=True)
    safety = models.CharField(max_length=16, choices=Safety.choices, default=Safety.NOT_SCANNED)
    safety_details = models.JSONField(default=dict, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    purged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ArtifactQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["product"], condition=Q(is_current=True, deleted_at__isnull=True), name="one_current_artifact"
            ),
            models.UniqueConstraint(
                fields=["version", "file_name"],
                condition=Q(version__isnull=False, deleted_at__isnull=True),
                name="uniq_file_name_in_version",
            ),
        ]
        indexes = [models.Index(fields=["product", "deleted_at", "created_at"])]

    def __str__(self):
        return self.file_name
