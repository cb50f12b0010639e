"""Change requests and access requests: the writes (atomic, audited) and the reads
(restricted to what the user may see).

Approval rule (DOMAIN.md): each required reviewer group (product owners, product data
architects) needs one approval from a member who is not the requester; a space admin stands
in for a group that is empty or holds only the requester; any rejection rejects; the
requester never reviews their own request."""

import json
import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from catalog.models import Product
from governance import access, audit
from governance.choices import ProductRoleName
from governance.models import ChangeRequest, ChangeRequestStatus, ChangeReview, ProductRole, ReviewDecision
from qarion.errors import Conflict, NotFound, PermissionDenied, invalid

REVIEWER_GROUPS = (ProductRoleName.OWNER.value, ProductRoleName.DATA_ARCHITECT.value)
GROUP_LABELS = {ProductRoleName.OWNER.value: "product owners", ProductRoleName.DATA_ARCHITECT.value: "data architects"}
OPEN_STATUSES = (ChangeRequestStatus.DRAFT, ChangeRequestStatus.PENDING, ChangeRequestStatus.APPROVED)
# Identity and type of a record are not proposed through change requests.
NOT_PROPOSABLE = ("product_type", "slug")
logger = logging.getLogger(__name__)


def _record_fields():
    from modelrepo import services as modelrepo_services  # modelrepo imports governance

    return modelrepo_services


def proposable_fields() -> tuple[str, ...]:
    m = _record_fields()
    return tuple(f for f in (*m.PRODUCT_FIELDS, *m.DETAIL_FIELDS) if f not in NOT_PROPOSABLE)


def _jsonable(value):
    return json.loads(json.dumps(value, default=str))


def record_snapshot(product: Product) -> dict:
    """Every proposable field's current value, as JSON."""
    from modelrepo.models import ModelDetails

    m = _record_fields()
    snapshot = {f: getattr(product, f) for f in m.PRODUCT_FIELDS}
    details = ModelDetails.objects.filter(product=product).first() or ModelDetails(product=product)
    snapshot.update({f: getattr(details, f) for f in m.DETAIL_FIELDS})
    return {k: _jsonable(v) for k, v in snapshot.items() if k not in NOT_PROPOSABLE}


def _validated(product: Product, proposed: dict) -> None:
    """Refuse unknown fields and values the record would not accept."""
    from modelrepo.models import ModelDetails

    if not isinstance(proposed, dict) or not proposed:
        raise invalid({"changes": ["Propose at least one field change."]})
    allowed = set(proposable_fields())
    unknown = sorted(set(proposed) - allowed)
    if unknown:
        raise invalid({name: ["This field cannot be changed through a change request."] for name in unknown})
    m = _record_fields()
    product_data, details_data = m.split_fields(proposed)
    errors = {}
    if product_data:
        candidate = Product.objects.get(pk=product.pk)
        for field, value in product_data.items():
            setattr(candidate, field, value)
        try:
            candidate.full_clean(exclude=["space", "created_by", "slug"], validate_unique=False)
        except DjangoValidationError as exc:
            errors.update({k: v for k, v in exc.message_dict.items() if k in product_data})
    details = ModelDetails.objects.filter(product=product).first() or ModelDetails(product=product)
    for field, value in details_data.items():
        setattr(details, field, value)
    try:
        details.full_clean(exclude=["product"], validate_unique=False)
    except DjangoValidationError as exc:
        errors.update({k: v for k, v in exc.message_dict.items() if k in details_data})
    if errors:
        raise invalid(errors)


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
    _validated(product, changes)
    snapshot = record_snapshot(product)
    proposed = [{"field": f, "old_value": snapshot.get(f), "new_value": _jsonable(v)} for f, v in changes.items()]
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
    return ChangeRequest.objects.select_for_update().select_related("product__space__organization", "requester").get(
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
    mark the request stale and change nothing (ChangeRequestStale)."""
    from modelrepo.models import ModelDetails

    if not can_apply(actor, change_request):
        raise PermissionDenied("Only the requester or a space admin can apply an approved change request.")
    m = _record_fields()
    stale = []
    with transaction.atomic():
        change_request = _locked(change_request)
        if change_request.status != ChangeRequestStatus.APPROVED:
            raise Conflict(f"This change request is {change_request.status}; only approved requests are applied.",
                           code="invalid_state")
        product = Product.objects.select_for_update().select_related("space__organization").get(
            pk=change_request.product_id)
        current = record_snapshot(product)
        stale = [c["field"] for c in change_request.changes if current.get(c["field"]) != c["old_value"]]
        if stale:
            _transition(actor, change_request, ChangeRequestStatus.STALE, "change_request.stale",
                        fields={"old": None, "new": stale})
        else:
            proposed = {c["field"]: c["new_value"] for c in change_request.changes}
            product_data, details_data = m.split_fields(proposed)
            details, _ = ModelDetails.objects.get_or_create(product=product)
            for field, value in details_data.items():
                setattr(details, field, value)
            try:
                details.full_clean(exclude=["product"], validate_unique=False)
            except DjangoValidationError as exc:
                raise invalid(exc.message_dict) from None
            from catalog import services as catalog_services

            catalog_services.product_apply_update(actor=actor, product=product, data=product_data)
            details.save()
            product.save(update_fields=["updated_at"])
            changes = {c["field"]: {"old": c["old_value"], "new": c["new_value"]} for c in change_request.changes}
            audit.record(actor=actor, action="model_record.updated", target=product,
                         changes={**changes, "change_request": {"old": None, "new": str(change_request.pk)}})
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
    if not user.is_authenticated:
        return ChangeRequest.objects.none()
    pending = change_request_list(user=user).filter(status=ChangeRequestStatus.PENDING).exclude(requester=user)
    pending = pending.exclude(reviews__reviewer=user)
    reviewable_products = ProductRole.objects.filter(user=user, role__in=REVIEWER_GROUPS).values("product_id")
    from catalog.choices import OrganizationRole, SpaceRole
    from catalog.models import OrganizationMembership, SpaceMembership

    admin_spaces = SpaceMembership.objects.filter(user=user, role=SpaceRole.ADMIN).values("space_id")
    admin_orgs = OrganizationMembership.objects.filter(user=user, role=OrganizationRole.ORG_ADMIN).values(
        "organization_id")
    if user.is_superuser:
        return pending
    return pending.filter(Q(product_id__in=reviewable_products) | Q(product__space_id__in=admin_spaces)
                          | Q(product__space__organization_id__in=admin_orgs))


# --- notifications -----------------------------------------------------------------------------------

def _send(subject: str, body: str, recipients) -> None:
    """E-mail through Django's mail framework once the transaction commits; a mail failure
    never undoes the decision it reports."""
    addresses = sorted({u.email for u in recipients if u.email and u.is_active})
    if not addresses:
        return

    def send():
        try:
            send_mail(subject, body, None, addresses, fail_silently=False)
        except Exception:  # noqa: BLE001 - delivery problems are logged, not raised into the request
            logger.exception("Could not send the notification %r", subject)

    transaction.on_commit(send)


def space_admins(space) -> list:
    from catalog.choices import SpaceRole
    from catalog.models import SpaceMembership

    return [m.user for m in SpaceMembership.objects.filter(space=space, role=SpaceRole.ADMIN).select_related("user")]


def _notify_reviewers(change_request: ChangeRequest) -> None:
    product = change_request.product
    reviewers = {r.user for r in ProductRole.objects.filter(product=product, role__in=REVIEWER_GROUPS)
                 .select_related("user")}
    reviewers |= set(space_admins(product.space))
    reviewers = [u for u in reviewers if u.pk != change_request.requester_id]
    _send(f"Change request to review: {change_request.title}",
          f"{change_request.requester.get_username()} asks to change {product.name}: {change_request.title}.\n"
          "Open your inbox in Qarion to review it.", reviewers)


def _notify_requester(change_request: ChangeRequest) -> None:
    _send(f"Your change request was {change_request.status}: {change_request.title}",
          f"Your change request on {change_request.product.name} is now {change_request.status}.",
          [change_request.requester])


def coerce_form_value(field: str, raw: str):
    """A value typed in the change request form, as the record field holds it."""
    from modelrepo.models import ModelDetails

    model = ModelDetails if field in _record_fields().DETAIL_FIELDS else Product
    model_field = model._meta.get_field(field)
    if model_field.get_internal_type() == "JSONField":
        try:
            return json.loads(raw) if raw.strip() else None
        except ValueError:
            raise invalid({field: ["Enter valid JSON."]}) from None
    try:
        value = model_field.to_python(raw)
    except DjangoValidationError as exc:
        raise invalid({field: exc.messages}) from None
    return _jsonable(value)
