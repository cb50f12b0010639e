"""Change requests: the writes (atomic, audited) and the reads (restricted to what the user
may see).

Approval rule (DOMAIN.md): each required reviewer group (product owners, product data
architects) needs one approval from a member who is not the requester; a space admin stands
in for a group that is empty or holds only the requester; any rejection rejects; the
requester never reviews their own request.

What a request may propose on a model record, how it is validated, found stale and applied
is modelrepo's (``modelrepo.proposals``): record fields and the actions the space change
policy governs (``current_version``, ``current_artifact``, ``release_version``). Applying one
calls the same modelrepo services as the direct change, with ``change_request=``, inside the
apply's transaction."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from catalog import access, audit
from catalog.choices import ProductRoleName
from catalog.models import Product, ProductRole
from common.errors import Conflict, NotFound, PermissionDenied, invalid
from governance import notifications
from governance.models import ChangeRequest, ChangeRequestStatus, ChangeReview, ReviewDecision
from modelrepo import proposals

REVIEWER_GROUPS = (ProductRoleName.OWNER.value, ProductRoleName.DATA_ARCHITECT.value)
GROUP_LABELS = {ProductRoleName.OWNER.value: "product owners", ProductRoleName.DATA_ARCHITECT.value: "data architects"}
OPEN_STATUSES = (ChangeRequestStatus.DRAFT, ChangeRequestStatus.PENDING, ChangeRequestStatus.APPROVED)
# Identity and type of a record are not proposed through change requests.
def describe_changes(change_request: ChangeRequest) -> list[dict]:
    """The proposed changes with ``label``, ``old_display`` and ``new_display`` for people."""
    product = change_request.product
    return [{**c, "label": proposals.label(c["field"]),
             "old_display": proposals.describe_value(product, c["field"], c["old_value"]),
             "new_display": proposals.describe_value(product, c["field"], c["new_value"])}
            for c in change_request.changes]


# --- the approval rule ----------------------------------------------------------------------------

def _group_members(product: Product, group: str) -> set:
    return set(ProductRole.objects.filter(product=product, role=group).values_list("user_id", flat=True))


def _is_space_admin(user, product: Product) -> bool:
    return access.can(user, access.MANAGE, product.space)


def group_state(change_request: ChangeRequest) -> list[dict]:
    """For each required group: its label, whether a space admin stands in, and who approved."""
    product = change_request.product
    approvals = [r for r in change_request.reviews.select_related("reviewer")
                 if r.decision == ReviewDecision.APPROVE and r.reviewer_id != change_request.requester_id]
    result = []
    for group in change_request.required_groups:
        members = _group_members(product, group) - {change_request.requester_id}
        stand_in = not members
        approvers = [r.reviewer for r in approvals
                     if r.reviewer_id in members or (stand_in and _is_space_admin(r.reviewer, product))]
        result.append({"group": group, "label": GROUP_LABELS.get(group, group), "stand_in": stand_in,
                       "approved_by": [u.get_username() for u in approvers], "satisfied": bool(approvers)})
    return result


def can_review(user, change_request: ChangeRequest) -> bool:
    return (user.is_authenticated and user.pk != change_request.requester_id
            and access.can(user, access.REVIEW, change_request.product))


def can_apply(user, change_request: ChangeRequest) -> bool:
    return user.is_authenticated and (user.pk == change_request.requester_id
                                      or _is_space_admin(user, change_request.product))


def can_cancel(user, change_request: ChangeRequest) -> bool:
    return user.is_authenticated and user.pk == change_request.requester_id


# --- writes -----------------------------------------------------------------------------------------

def change_request_create(*, actor, product: Product, title: str, justification: str, changes: dict,
                          submit: bool = True) -> ChangeRequest:
    """Open a change request proposing ``changes`` ({field: new value}); pending unless a draft."""
    if not access.can(actor, access.COMMENT, product):
        raise PermissionDenied("Only space members and product roles can open change requests on this record.")
    title, justification = (title or "").strip(), (justification or "").strip()
    errors = {}
    if not title:
        errors["title"] = ["Give the change request a title."]
    elif len(title) > 200:
        errors["title"] = ["Keep the title to 200 characters."]
    if not justification:
        errors["justification"] = ["Explain why this change is needed."]
    if errors:
        raise invalid(errors)
    changes = proposals.validate(product, changes)
    snapshot = proposals.base_snapshot(product, changes)
    proposed = [{"field": f, "old_value": snapshot.get(f), "new_value": v} for f, v in changes.items()]
    if all(c["old_value"] == c["new_value"] for c in proposed):
        raise invalid({"changes": ["Every proposed value equals the current one; nothing would change."]})
    status = ChangeRequestStatus.PENDING if submit else ChangeRequestStatus.DRAFT
    with transaction.atomic():
        change_request = ChangeRequest.objects.create(
            product=product, requester=actor, title=title, justification=justification, changes=proposed,
            base_snapshot=snapshot, required_groups=list(REVIEWER_GROUPS), status=status)
        audit.record(actor=actor, action="change_request.opened", target=product,
                     changes={"change_request": {"old": None, "new": str(change_request.pk)},
                              "title": {"old": None, "new": title}, "status": {"old": None, "new": status}})
    if submit:
        _notify_reviewers(change_request)
    return change_request


def _locked(change_request: ChangeRequest) -> ChangeRequest:
    return ChangeRequest.objects.select_for_update(of=("self",)).select_related("product__space__organization", "requester").get(
        pk=change_request.pk)


def _transition(actor, change_request, new_status, action, **extra) -> ChangeRequest:
    old = change_request.status
    change_request.status = new_status
    change_request.save()
    audit.record(actor=actor, action=action, target=change_request.product,
                 changes={"change_request": {"old": None, "new": str(change_request.pk)},
                          "status": {"old": old, "new": new_status}, **extra})
    return change_request


def change_request_submit(*, actor, change_request: ChangeRequest) -> ChangeRequest:
    if actor.pk != change_request.requester_id:
        raise PermissionDenied("Only the requester can submit their draft.")
    with transaction.atomic():
        change_request = _locked(change_request)
        if change_request.status != ChangeRequestStatus.DRAFT:
            raise Conflict(f"This change request is {change_request.status}; only drafts are submitted.",
                           code="invalid_state")
        _transition(actor, change_request, ChangeRequestStatus.PENDING, "change_request.submitted")
    _notify_reviewers(change_request)
    return change_request


def change_request_review(*, actor, change_request: ChangeRequest, decision: str, notes: str = "") -> ChangeRequest:
    """Record one review; a rejection rejects, and the last missing group approval approves."""
    if actor.pk == change_request.requester_id:
        raise PermissionDenied("You cannot review your own change request.")
    if not access.can(actor, access.REVIEW, change_request.product):
        raise PermissionDenied("Only the product's owners, data architects and space admins review change requests.")
    notes = (notes or "").strip()
    if decision not in ReviewDecision.values:
        raise invalid({"decision": [f"Choose one of: {', '.join(ReviewDecision.values)}."]})
    if decision == ReviewDecision.REJECT and not notes:
        raise invalid({"notes": ["Say why you reject the change request."]})
    decided = False
    with transaction.atomic():
        change_request = _locked(change_request)
        if change_request.status != ChangeRequestStatus.PENDING:
            raise Conflict(f"This change request is {change_request.status}; only pending requests are reviewed.",
                           code="invalid_state")
        try:
            with transaction.atomic():
                ChangeReview.objects.create(change_request=change_request, reviewer=actor, decision=decision, notes=notes)
        except IntegrityError:
            raise Conflict("You already reviewed this change request.", code="duplicate") from None
        audit.record(actor=actor, action=f"change_request.{'approved' if decision == 'approve' else 'rejected'}_by",
                     target=change_request.product,
                     changes={"change_request": {"old": None, "new": str(change_request.pk)},
                              "decision": {"old": None, "new": decision}, "notes": {"old": None, "new": notes}})
        if decision == ReviewDecision.REJECT:
            change_request.decided_at = timezone.now()
            _transition(actor, change_request, ChangeRequestStatus.REJECTED, "change_request.rejected")
            decided = True
        elif all(g["satisfied"] for g in group_state(change_request)):
            change_request.decided_at = timezone.now()
            _transition(actor, change_request, ChangeRequestStatus.APPROVED, "change_request.approved")
            decided = True
    if decided:
        _notify_requester(change_request)
    return change_request


def change_request_cancel(*, actor, change_request: ChangeRequest) -> ChangeRequest:
    if not can_cancel(actor, change_request):
        raise PermissionDenied("Only the requester can cancel their change request.")
    with transaction.atomic():
        change_request = _locked(change_request)
        if change_request.status not in OPEN_STATUSES:
            raise Conflict(f"This change request is {change_request.status} and can no longer be cancelled.",
                           code="invalid_state")
        _transition(actor, change_request, ChangeRequestStatus.CANCELLED, "change_request.cancelled")
    return change_request


class ChangeRequestStale(Conflict):
    code = "stale"


def change_request_apply(*, actor, change_request: ChangeRequest) -> ChangeRequest:
    """Write the approved changes at once, if every field still holds its old value; otherwise
    mark the request stale and change nothing (ChangeRequestStale). A refusal by a service
    (a version yanked since, a rule turned on since) changes nothing and leaves it approved."""
    if not can_apply(actor, change_request):
        raise PermissionDenied("Only the requester or a space admin can apply an approved change request.")
    stale = []
    with transaction.atomic():
        change_request = _locked(change_request)
        if change_request.status != ChangeRequestStatus.APPROVED:
            raise Conflict(f"This change request is {change_request.status}; only approved requests are applied.",
                           code="invalid_state")
        product = Product.objects.select_for_update().select_related("space__organization").get(
            pk=change_request.product_id)
        stale = proposals.stale_fields(product, change_request.changes, change_request.base_snapshot)
        if stale:
            _transition(actor, change_request, ChangeRequestStatus.STALE, "change_request.stale",
                        fields={"old": None, "new": stale})
        else:
            proposals.apply(actor=actor, product=product, change_request=change_request,
                            proposed={c["field"]: c["new_value"] for c in change_request.changes})
            change_request.applied_at = timezone.now()
            change_request.applied_by = actor
            _transition(actor, change_request, ChangeRequestStatus.APPLIED, "change_request.applied")
    if stale:
        raise ChangeRequestStale(
            f"The record changed since the request was opened ({', '.join(stale)}); the request is now stale "
            "and nothing was changed. Open a new change request against the current values.",
            details={"fields": stale})
    return change_request


# --- reads -------------------------------------------------------------------------------------------

def change_request_list(*, user, product: Product | None = None) -> QuerySet:
    """Change requests on products ``user`` may view, newest first."""
    qs = access.restrict(ChangeRequest.objects.select_related("product__space", "requester"), user,
                         product_path="product__")
    if product is not None:
        qs = qs.filter(product=product)
    return qs.order_by("-created_at")


def visible_change_request(*, user, change_request_id) -> ChangeRequest:
    try:
        return change_request_list(user=user).get(pk=change_request_id)
    except (ChangeRequest.DoesNotExist, DjangoValidationError, ValueError):
        raise NotFound("No change request with this id exists, or you cannot see it.") from None


def change_requests_to_review(*, user) -> QuerySet:
    """Pending requests ``user`` may review and has not reviewed yet (never their own)."""
    pending = ChangeRequest.objects.filter(status=ChangeRequestStatus.PENDING).exclude(requester_id=user.pk)
    pending = access.restrict(pending.exclude(reviews__reviewer_id=user.pk), user, action=access.REVIEW,
                              product_path="product__")
    return pending.select_related("product__space", "requester").order_by("-created_at")


def _notify_reviewers(change_request: ChangeRequest) -> None:
    product = change_request.product
    reviewers = {r.user for r in ProductRole.objects.filter(product=product, role__in=REVIEWER_GROUPS)
                 .select_related("user")}
    reviewers |= set(notifications.space_admins(product.space))
    reviewers = [u for u in reviewers if u.pk != change_request.requester_id]
    notifications.send(f"Change request to review: {change_request.title}",
          f"{change_request.requester.get_username()} asks to change {product.name}: {change_request.title}.\n"
          "Open your inbox in Qarion to review it.", reviewers)


def _notify_requester(change_request: ChangeRequest) -> None:
    notifications.send(f"Your change request was {change_request.status}: {change_request.title}",
          f"Your change request on {change_request.product.name} is now {change_request.status}.",
          [change_request.requester])
