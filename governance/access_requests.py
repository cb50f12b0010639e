"""Access requests: a user asks for view or edit access to a space (found in the directory)
or to one product; its owners, stewards and the space's admins decide. A granted product
request counts in the access policy until revoked; a granted space request becomes a space
membership. Writes are atomic and audited; reads are restricted to the requester and those
who may decide."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from catalog import access, audit
from catalog import services as catalog_services
from catalog.choices import ProductRoleName, SpaceRole
from catalog.models import (
    AccessLevel,
    AccessRequest,
    AccessRequestStatus,
    OrganizationMembership,
    Product,
    ProductRole,
    SpaceMembership,
)
from common.errors import Conflict, NotFound, PermissionDenied, invalid
from governance import notifications

HIDDEN_PRODUCT = "No product with this id exists, or you cannot see it; your request was not recorded."


def can_decide_access(user, access_request) -> bool:
    if access_request.product_id:
        return access.can(user, access.APPROVE_ACCESS, access_request.product)
    return access.can(user, access.MANAGE, access_request.space)


def access_request_create(*, actor, space=None, product_id=None, level: str, justification: str):
    """Ask for ``level`` access to a space (by its directory entry) or to one product. A product
    the requester cannot find in a space of their organization answers like a missing one."""
    if level not in AccessLevel.values:
        raise invalid({"level": [f"Choose one of: {', '.join(AccessLevel.values)}."]})
    justification = (justification or "").strip()
    if not justification:
        raise invalid({"justification": ["Explain why you need access."]})
    product = None
    if product_id is not None:
        try:
            product = Product.objects.select_related("space__organization").get(pk=product_id)
        except (Product.DoesNotExist, DjangoValidationError, ValueError):
            product = None
        member = product is not None and OrganizationMembership.objects.filter(
            user=actor, organization_id=product.space.organization_id).exists()
        if not member:
            raise NotFound(HIDDEN_PRODUCT)
        space = product.space
    elif space is None or not OrganizationMembership.objects.filter(
            user=actor, organization_id=space.organization_id).exists():
        raise NotFound("No space with this name exists in your organization.")
    already = (access.can(actor, access.EDIT if level == "edit" else access.VIEW, product or space))
    if already:
        raise Conflict(f"You already have {level} access.", code="already_granted")
    with transaction.atomic():
        if AccessRequest.objects.filter(requester=actor, space=space, product=product,
                                        status=AccessRequestStatus.REQUESTED).exists():
            raise Conflict("You already asked for access here; wait for the decision or cancel it.", code="duplicate")
        access_request = AccessRequest.objects.create(requester=actor, space=space, product=product, level=level,
                                                      justification=justification)
        audit.record(actor=actor, action="access_request.opened", target=product or space,
                     changes={"access_request": {"old": None, "new": str(access_request.pk)},
                              "level": {"old": None, "new": level}})
    deciders = notifications.space_admins(space)
    if product is not None:
        deciders += [r.user for r in ProductRole.objects.filter(
            product=product, role__in=[ProductRoleName.OWNER, ProductRoleName.STEWARD]).select_related("user")]
    notifications.send(f"Access request: {actor.get_username()} asks {level} access",
          f"{actor.get_username()} asks for {level} access to {product or space}. Open your inbox in Qarion to decide.",
          deciders)
    return access_request


def _locked_access(access_request):
    return AccessRequest.objects.select_for_update(of=("self",)).select_related("space__organization", "product", "requester").get(
        pk=access_request.pk)


def _decide(actor, access_request, *, allowed_from, new_status, action, notes=""):
    with transaction.atomic():
        access_request = _locked_access(access_request)
        if access_request.status not in allowed_from:
            raise Conflict(f"This access request is {access_request.status}.", code="invalid_state")
        old = access_request.status
        access_request.status = new_status
        if actor.pk != access_request.requester_id:
            access_request.decided_by = actor
            access_request.decided_at = timezone.now()
            access_request.notes = notes
        access_request.save()
        audit.record(actor=actor, action=action, target=access_request.product or access_request.space,
                     changes={"access_request": {"old": None, "new": str(access_request.pk)},
                              "requester": {"old": None, "new": access_request.requester.get_username()},
                              "status": {"old": old, "new": new_status}})
        if access_request.product_id is None:
            _apply_space_access(actor, access_request, new_status)
    if actor.pk != access_request.requester_id:
        notifications.send(f"Your access request was {new_status}",
              f"Your request for {access_request.level} access to {access_request.product or access_request.space} "
              f"is now {new_status}.{(' Notes: ' + notes) if notes else ''}", [access_request.requester])
    return access_request


def _apply_space_access(actor, access_request, new_status):
    """A granted space request is a space membership; revoking it removes that membership."""
    role = SpaceRole.EDITOR if access_request.level == "edit" else SpaceRole.VIEWER
    if new_status == "granted":
        catalog_services.space_membership_set(actor=actor, space=access_request.space, user=access_request.requester,
                                              role=role)
    elif new_status == "revoked":
        SpaceMembership.objects.filter(space=access_request.space, user=access_request.requester, role=role).delete()


def _require_decider(actor, access_request):
    if actor.pk == access_request.requester_id or not can_decide_access(actor, access_request):
        raise PermissionDenied("Only the product's owners and stewards or a space admin decide access requests.")


def access_request_grant(*, actor, access_request, notes: str = ""):
    _require_decider(actor, access_request)
    return _decide(actor, access_request, allowed_from=("requested",), new_status="granted",
                   action="access_request.granted", notes=(notes or "").strip())


def access_request_reject(*, actor, access_request, notes: str = ""):
    _require_decider(actor, access_request)
    notes = (notes or "").strip()
    if not notes:
        raise invalid({"notes": ["Say why you reject the request."]})
    return _decide(actor, access_request, allowed_from=("requested",), new_status="rejected",
                   action="access_request.rejected", notes=notes)


def access_request_revoke(*, actor, access_request, notes: str = ""):
    _require_decider(actor, access_request)
    return _decide(actor, access_request, allowed_from=("granted",), new_status="revoked",
                   action="access_request.revoked", notes=(notes or "").strip())


def access_request_cancel(*, actor, access_request):
    if actor.pk != access_request.requester_id:
        raise PermissionDenied("Only the requester can cancel their access request.")
    return _decide(actor, access_request, allowed_from=("requested",), new_status="cancelled",
                   action="access_request.cancelled")


def access_request_list(*, user) -> QuerySet:
    """My own requests and those I may decide."""
    if not user.is_authenticated:
        return AccessRequest.objects.none()
    decidable = access.restrict(AccessRequest.objects.all(), user, action=access.APPROVE_ACCESS,
                                product_path="product__", space_path="space")
    return (AccessRequest.objects.filter(Q(requester=user) | Q(pk__in=decidable.values("pk")))
            .select_related("space", "product", "requester", "decided_by").order_by("-created_at"))


def visible_access_request(*, user, access_request_id):
    try:
        return access_request_list(user=user).get(pk=access_request_id)
    except (AccessRequest.DoesNotExist, DjangoValidationError, ValueError):
        raise NotFound("No access request with this id exists, or you cannot see it.") from None


def access_requests_to_decide(*, user) -> QuerySet:
    """Requests waiting for ``user``'s decision (never their own)."""
    return access_request_list(user=user).filter(status="requested").exclude(requester_id=user.pk)
