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
