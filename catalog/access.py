"""The access policy: ``can(user, action, obj)`` and ``permitted_actions(user, obj)`` for one
object, and ``restrict(queryset, user, action=...)`` for lists (what a user may view, review,
decide or manage), all read from the same grant tables. Every HTML view, API view, admin screen and
task asks these; nothing else decides who may see or change what.

A user's grants add up (organization role, space role, product roles); edit implies view.
Objects a user may not view must answer 404 where they are looked up, so callers first
restrict, then ask ``can`` for the action.
"""

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from catalog.choices import OrganizationRole, ProductRoleName, SpaceRole
from catalog.models import (
    AccessRequest,
    Organization,
    OrganizationMembership,
    Product,
    ProductRole,
    Space,
    SpaceMembership,
)

VIEW = "view"
COMMENT = "comment"  # also: open change and access requests
EDIT = "edit"
MANAGE = "manage"  # delete, members, policies, product roles, the space audit log
ASSIGN_ROLES = "assign_roles"
REVIEW = "review"
APPROVE_ACCESS = "approve_access"
VIEW_OTHERS_SESSIONS = "view_others_sessions"
CREATE_PRODUCT = "create_product"  # on a space
VIEW_DIRECTORY = "view_directory"  # on an organization: the names of its spaces

_SPACE_ROLE_GRANTS = {
    SpaceRole.VIEWER: {VIEW},
    SpaceRole.MEMBER: {VIEW, COMMENT},
    SpaceRole.EDITOR: {VIEW, COMMENT, EDIT, CREATE_PRODUCT},
    SpaceRole.ADMIN: {
        VIEW, COMMENT, EDIT, CREATE_PRODUCT, MANAGE, ASSIGN_ROLES, REVIEW, APPROVE_ACCESS, VIEW_OTHERS_SESSIONS,
    },
}
_ORG_ADMIN_GRANTS = _SPACE_ROLE_GRANTS[SpaceRole.ADMIN] | {VIEW_DIRECTORY}
# A granted (not yet revoked) access request on one product.
_ACCESS_REQUEST_GRANTS = {"view": {VIEW}, "edit": {VIEW, EDIT}}
_GRANTED = "granted"

_PRODUCT_ROLE_GRANTS = {
    ProductRoleName.OWNER: {VIEW, COMMENT, EDIT, ASSIGN_ROLES, REVIEW, APPROVE_ACCESS},
    ProductRoleName.STEWARD: {VIEW, COMMENT, EDIT, APPROVE_ACCESS},
    ProductRoleName.CUSTODIAN: {VIEW, COMMENT, EDIT},
    ProductRoleName.DATA_ARCHITECT: {VIEW, COMMENT, REVIEW},
}


def _active(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def _org_role(user, organization_id):
    return (
        OrganizationMembership.objects.filter(user=user, organization_id=organization_id)
        .values_list("role", flat=True)
        .first()
    )


def _role_grants(org_role, space_role) -> set[str]:
    if org_role == OrganizationRole.ORG_ADMIN:
        return set(_ORG_ADMIN_GRANTS)
    return set(_SPACE_ROLE_GRANTS.get(space_role, set()))


def _space_grants(user, space: Space) -> set[str]:
    org_role = _org_role(user, space.organization_id)
    if org_role == OrganizationRole.ORG_ADMIN:
        return _role_grants(org_role, None)
    return _role_grants(org_role, SpaceMembership.objects.filter(user=user, space=space).values_list(
        "role", flat=True).first())


def _product_grants(user, result: set[str], *, product_roles, access_levels) -> set[str]:
    """``result`` (what the user's organization and space roles grant) plus what their product
    roles and granted access requests on the product add."""
    for role in product_roles:
        result |= _PRODUCT_ROLE_GRANTS.get(role, set())
    for level in access_levels:
        result |= _ACCESS_REQUEST_GRANTS.get(level, set())
    if user.is_superuser:
        result |= _ORG_ADMIN_GRANTS
    return result


def permitted_actions(user, obj) -> set[str]:
    """Every action ``user`` may take on ``obj`` (an Organization, Space or Product); pages ask
    it once to decide which buttons to show."""
    if not _active(user):
        return set()
    if isinstance(obj, Product):
        known = obj.__dict__.get(_KNOWN_GRANTS)
        if known is not None and known[0] == user.pk:
            return set(known[1])
        return _product_grants(
            user, _space_grants(user, obj.space),
            product_roles=ProductRole.objects.filter(user=user, product=obj).values_list("role", flat=True),
            access_levels=AccessRequest.objects.filter(requester=user, product=obj, status=_GRANTED).values_list(
                "level", flat=True))
    if isinstance(obj, Space):
        result = _space_grants(user, obj)
        if not result and (ProductRole.objects.filter(user=user, product__space=obj).exists()
                           or AccessRequest.objects.filter(requester=user, product__space=obj, status=_GRANTED).exists()):
            result = {VIEW}  # sees the space page, restricted to the products they hold a role on
        if user.is_superuser:
            result |= _ORG_ADMIN_GRANTS
        return result
    if isinstance(obj, Organization):
        if user.is_superuser:
            return {VIEW, VIEW_DIRECTORY, MANAGE}
        role = _org_role(user, obj.pk)
        if role == OrganizationRole.ORG_ADMIN:
            return {VIEW, VIEW_DIRECTORY, MANAGE}
        if role == OrganizationRole.MEMBER or SpaceMembership.objects.filter(user=user, space__organization=obj).exists():
            return {VIEW, VIEW_DIRECTORY}
        return set()
    raise TypeError(f"No access rule for {type(obj).__name__}.")


def can(user, action: str, obj) -> bool:
    return action in permitted_actions(user, obj)


# Where get_with_grants leaves (user id, grants) on a product it fetched.
_KNOWN_GRANTS = "_access_known_grants"


def _grant_facts(user, product_path: str) -> dict:
    """Subqueries answering, for each row, what ``permitted_actions`` asks the database about ``user``
    and the row's product."""
    p = product_path
    product_id = OuterRef(f"{p}id") if p else OuterRef("pk")
    facts = {
        "access_org_role": Subquery(OrganizationMembership.objects.filter(
            user=user, organization_id=OuterRef(f"{p}space__organization_id")).values("role")[:1]),
        "access_space_role": Subquery(SpaceMembership.objects.filter(
            user=user, space_id=OuterRef(f"{p}space_id")).values("role")[:1]),
    }
    for role in map(str, _PRODUCT_ROLE_GRANTS):
        facts[f"access_role_{role}"] = Exists(ProductRole.objects.filter(user=user, product_id=product_id, role=role))
    for level in _ACCESS_REQUEST_GRANTS:
        facts[f"access_level_{level}"] = Exists(AccessRequest.objects.filter(
            requester=user, product_id=product_id, status=_GRANTED, level=level))
    return facts


def get_with_grants(queryset: QuerySet, user, *, product_path: str = "", **lookup):
    """``queryset.get(**lookup)``, asking in the same query what ``user`` may do with the
    row's product (the row itself when ``product_path`` is empty, else the product reached
    through it, such as ``"product__"``). ``grants`` and ``can`` then answer for that product
    object, for the request at hand, without asking the database again: the hot upload path
    checks its permissions with no query of their own."""
    if not _active(user):
        return queryset.get(**lookup)
    row = queryset.annotate(**_grant_facts(user, product_path)).get(**lookup)
    product = row
    for name in product_path.split("__")[:-1]:
        product = getattr(product, name)
    known = _product_grants(
        user, _role_grants(row.access_org_role, row.access_space_role),
        product_roles=[role for role in map(str, _PRODUCT_ROLE_GRANTS) if getattr(row, f"access_role_{role}")],
        access_levels=[level for level in _ACCESS_REQUEST_GRANTS if getattr(row, f"access_level_{level}")])
    product.__dict__[_KNOWN_GRANTS] = (user.pk, frozenset(known))
    return row


def _roles_granting(table: dict, action: str) -> list[str]:
    return [role for role, actions in table.items() if action in actions]


def restrict(queryset: QuerySet, user, *, action: str = VIEW, product_path: str = "",
             space_path: str | None = None) -> QuerySet:
    """Restrict any product-like queryset to the rows on which ``user`` may take ``action``
    (by default: view), read from the same grant tables as ``permitted_actions``.

    ``product_path`` is the lookup from the queryset's model to its product (``""`` for
    products themselves, ``"product__"`` for model details); ``space_path`` the lookup to its
    space (by default the product's space), for rows such as space access requests whose
    product is empty."""
    if not _active(user):
        return queryset.none()
    if user.is_superuser:
        return queryset
    p = product_path
    space = f"{p}space" if space_path is None else space_path
    product_pk = f"{p}{'id' if not p else 'pk'}"
    space_roles = _roles_granting(_SPACE_ROLE_GRANTS, action)
    product_roles = _roles_granting(_PRODUCT_ROLE_GRANTS, action)
    levels = _roles_granting(_ACCESS_REQUEST_GRANTS, action)
    allowed = Q(pk__in=[])
    if space_roles:
        allowed |= Q(**{f"{space}_id__in": SpaceMembership.objects.filter(user=user, role__in=space_roles)
                        .values("space_id")})
    if action in _ORG_ADMIN_GRANTS:
        allowed |= Q(**{f"{space}__organization_id__in": OrganizationMembership.objects.filter(
            user=user, role=OrganizationRole.ORG_ADMIN).values("organization_id")})
    if product_roles:
        allowed |= Q(**{f"{product_pk}__in": ProductRole.objects.filter(user=user, role__in=product_roles)
                        .values("product_id")})
    if levels:
        allowed |= Q(**{f"{product_pk}__in": AccessRequest.objects.filter(
            requester=user, status=_GRANTED, level__in=levels, product__isnull=False).values("product_id")})
    return queryset.filter(allowed)


def visible_spaces(user, organization: Organization | None = None) -> QuerySet:
    """Spaces whose contents ``user`` may see (any space role, org admin, or a product role in it)."""
    qs = Space.objects.all() if organization is None else Space.objects.filter(organization=organization)
    if not _active(user):
        return qs.none()
    if user.is_superuser:
        return qs
    return qs.filter(
        Q(id__in=SpaceMembership.objects.filter(user=user).values("space_id"))
        | Q(
            organization_id__in=OrganizationMembership.objects.filter(
                user=user, role=OrganizationRole.ORG_ADMIN
            ).values("organization_id")
        )
        | Q(id__in=ProductRole.objects.filter(user=user).values("product__space_id"))
        | Q(id__in=AccessRequest.objects.filter(requester=user, status=_GRANTED, product__isnull=False)
            .values("product__space_id"))
    )


def visible_organizations(user) -> QuerySet:
    qs = Organization.objects.all()
    if not _active(user):
        return qs.none()
    if user.is_superuser:
        return qs
    return qs.filter(
        Q(id__in=OrganizationMembership.objects.filter(user=user).values("organization_id"))
        | Q(id__in=SpaceMembership.objects.filter(user=user).values("space__organization_id"))
    )
