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
