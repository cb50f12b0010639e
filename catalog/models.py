import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower

from catalog.choices import Criticality, OrganizationRole, ProductType, Sensitivity, SpaceRole, TokenScope

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
