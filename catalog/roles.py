"""Writes of product roles: assigning and removing them. Each is atomic and appends one audit event."""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q

from catalog import access, audit
from catalog.choices import ProductRoleName
from catalog.models import OrganizationMembership, Product, ProductRole, SpaceMembership
from common.errors import Conflict, PermissionDenied, invalid


def _require_assign(actor, product: Product) -> None:
    if not access.can(actor, access.ASSIGN_ROLES, product):
        raise PermissionDenied("Only the product's owners and space admins can assign product roles.")


def _in_organization(user, product: Product) -> bool:
    organization_id = product.space.organization_id
    return (
        OrganizationMembership.objects.filter(user=user, organization_id=organization_id).exists()
        or SpaceMembership.objects.filter(user=user, space__organization_id=organization_id).exists()
    )


def resolve_assignee(username: str):
    """The active user named ``username``, or None."""
    username = (username or "").strip()
    if not username:
        return None
    return get_user_model()._default_manager.filter(Q(username=username) & Q(is_active=True)).first()


def product_role_assign(*, actor, product: Product, user, role: str) -> ProductRole:
    _require_assign(actor, product)
    if role not in ProductRoleName.values:
        raise invalid({"role": [f"Choose one of: {', '.join(ProductRoleName.values)}."]})
    if user is None or not user.is_active or not _in_organization(user, product):
        raise invalid({"user": ["No active user with this name belongs to the product's organization."]})
    try:
        with transaction.atomic():
            product_role = ProductRole.objects.create(product=product, user=user, role=role)
            audit.record(actor=actor, action="product_role.assigned", target=product,
                         changes={"user": {"old": None, "new": user.get_username()}, "role": {"old": None, "new": role}})
    except IntegrityError:
        raise Conflict(f"{user.get_username()} already holds the role {role} on this product.",
                       code="duplicate") from None
    return product_role


def product_role_remove(*, actor, product_role: ProductRole) -> None:
    product = product_role.product
    _require_assign(actor, product)
    with transaction.atomic():
        audit.record(actor=actor, action="product_role.removed", target=product,
                     changes={"user": {"old": product_role.user.get_username(), "new": None},
                              "role": {"old": product_role.role, "new": None}})
        ProductRole.objects.filter(pk=product_role.pk).delete()
