"""Every write to the catalog: atomic, permission-checked, audited."""

from datetime import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from catalog import access, audit, tokens
from catalog.choices import TokenScope
from catalog.models import ApiToken, Organization, OrganizationMembership, Product, Space, SpaceMembership, Tag
from common.errors import Conflict, NotFound, PermissionDenied, ValidationFailed, invalid

PRODUCT_FIELDS = (
    "product_type",
    "name",
    "slug",
    "description",
    "documentation",
    "provider",
    "hosting_location",
    "criticality",
    "sensitivity",
    "is_archived",
)
MAX_TAGS = 50


def validation_error_details(exc: DjangoValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {field: [m for e in errors for m in e.messages] for field, errors in exc.error_dict.items()}
    return {"non_field_errors": list(exc.messages)}


def _clean_tags(names) -> list[str]:
    if names is None:
        return []
    cleaned = []
    for raw in names:
        name = str(raw).strip().lower()
        if not name:
            continue
        if len(name) > 64:
            raise ValidationFailed("Tags are at most 64 characters.", details={"tags": [f"Too long: {name[:20]}…"]})
        if name not in cleaned:
            cleaned.append(name)
    if len(cleaned) > MAX_TAGS:
        raise ValidationFailed(f"A product has at most {MAX_TAGS} tags.", details={"tags": ["Too many tags."]})
    return cleaned


def _set_tags(product: Product, names: list[str]) -> None:
    existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    missing = [Tag(name=n) for n in names if n not in existing]
    if missing:
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {t.name: t for t in Tag.objects.filter(name__in=names)}
    product.tags.set([existing[n] for n in names])


def _unique_slug(space: Space, name: str) -> str:
    base = slugify(name)[:90].strip("-") or "product"
    taken = set(Product.objects.filter(space=space, slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    for n in range(2, 10_000):
        candidate = f"{base}-{n}"
        if candidate not in taken:
            return candidate
    raise ValidationFailed("Could not derive a free slug; give one explicitly.", details={"slug": ["Give a slug."]})


def _check_name_and_slug(space: Space, product: Product) -> None:
    others = Product.objects.filter(space=space).exclude(pk=product.pk)
    errors = {}
    if others.filter(name__iexact=product.name).exists():
        errors["name"] = [f"A record named “{product.name}” already exists in space {space.slug}; choose another name."]
    if others.filter(slug=product.slug).exists():
        errors["slug"] = [f"The slug “{product.slug}” is taken in space {space.slug}; choose another slug."]
    if errors:
        raise invalid(errors, code="duplicate")


def _check_capacity(space: Space) -> None:
    if space.catalog_product_limit is None:
        return
    active = Product.objects.filter(space=space, is_archived=False).count()
    if active >= space.catalog_product_limit:
        raise ValidationFailed(
            f"Space {space.slug} has reached its limit of {space.catalog_product_limit} catalog products; "
            "archive a product or ask an organization admin to raise the limit.",
            code="product_limit_reached",
            details={"catalog_product_limit": space.catalog_product_limit, "active_products": active},
        )


def _lock_space(space: Space) -> Space:
    # Serialises creates in one space, so two concurrent creates cannot both pass the limit.
    # On SQLite the IMMEDIATE transaction already holds the database's write lock.
    return Space.objects.select_for_update().get(pk=space.pk)


def product_create(*, actor, space: Space, data: dict, tags=None, audit_action: str = "product.created",
                   extend=None) -> Product:
    """Create a catalog product in ``space``. Creating is never subject to the change policy.

    ``extend(product) -> dict`` runs in the same transaction after the product is saved (the
    model repository creates its details there) and returns changes to add to the one audit event."""
    if not access.can(actor, access.CREATE_PRODUCT, space):
        raise PermissionDenied(f"You cannot create records in space {space.slug}; ask a space admin for editor access.")
    unknown = set(data) - set(PRODUCT_FIELDS)
    if unknown:
        raise ValueError(f"Unknown product fields: {sorted(unknown)}")
    tag_names = _clean_tags(tags)
    with transaction.atomic():
        space = _lock_space(space)
        product = Product(space=space, created_by=actor, **data)
        if not product.slug:
            product.slug = _unique_slug(space, product.name or "")
        try:
            product.full_clean(validate_constraints=False)
        except DjangoValidationError as exc:
            raise invalid(validation_error_details(exc)) from None
        _check_name_and_slug(space, product)
        if not product.is_archived:
            _check_capacity(space)
        try:
            with transaction.atomic():
                product.save(force_insert=True)
        except IntegrityError:
            raise ValidationFailed(
                "A record with this name or slug already exists in this space.",
                code="duplicate",
                details={"name": ["Choose another name."]},
            ) from None
        _set_tags(product, tag_names)
        changes = {k: {"old": None, "new": v} for k, v in product_snapshot(product).items()}
        if tag_names:
            changes["tags"] = {"old": None, "new": tag_names}
        if extend is not None:
            changes.update(extend(product))
        audit.record(actor=actor, action=audit_action, target=product, changes=changes)
    return product


def product_snapshot(product: Product) -> dict:
    snap = {f: getattr(product, f) for f in PRODUCT_FIELDS}
    return snap


def product_apply_update(*, actor, product: Product, data: dict, tags=None) -> dict:
    """Apply product field changes inside the caller's transaction; returns the changes
    ({field: {old, new}}). Callers check permissions and the change policy first."""
    unknown = set(data) - set(PRODUCT_FIELDS)
    if unknown:
        raise ValueError(f"Unknown product fields: {sorted(unknown)}")
    old = product_snapshot(product)
    old_tags = sorted(product.tags.values_list("name", flat=True)) if tags is not None else None
    for field, value in data.items():
        setattr(product, field, value)
    if "name" in data and "slug" not in data and not product.slug:
        product.slug = _unique_slug(product.space, product.name)
    try:
        product.full_clean(validate_constraints=False)
    except DjangoValidationError as exc:
        raise invalid(validation_error_details(exc)) from None
    _check_name_and_slug(product.space, product)
    if old["is_archived"] and not product.is_archived:
        space = _lock_space(product.space)
        _check_capacity(space)
    product.save()
    changes = audit.diff(old, product_snapshot(product))
    if tags is not None:
        new_tags = _clean_tags(tags)
        _set_tags(product, new_tags)
        if sorted(new_tags) != old_tags:
            changes["tags"] = {"old": old_tags, "new": sorted(new_tags)}
    return changes


# --- API tokens -------------------------------------------------------------------------

def api_token_create(*, actor, name: str, scope: str = TokenScope.READ, expires_at: datetime | None = None):
    """Create a token for ``actor``; returns (token row, the secret shown once)."""
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = ["Give the token a name, such as “CI pipeline”."]
    elif len(name) > 100:
        errors["name"] = ["Token names are at most 100 characters."]
    if scope not in TokenScope.values:
        errors["scope"] = [f"Scope must be one of: {', '.join(TokenScope.values)}."]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = ["The expiry must be in the future."]
    if errors:
        raise invalid(errors)
    if ApiToken.objects.filter(user=actor, name=name).exists():  # a conflict with what exists: 409
        raise Conflict(f"You already have a token named “{name}”; choose another name or revoke that one.",
                       code="duplicate", details={"name": [f"You already have a token named “{name}”."]})
    secret, prefix, secret_sha256 = tokens.generate()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=actor, name=name, prefix=prefix, secret_sha256=secret_sha256, scope=scope, expires_at=expires_at
        )
        audit.record(actor=actor, action="api_token.created", target=token, changes={"scope": {"old": None, "new": scope}})
    return token, secret


def api_token_revoke(*, actor, token: ApiToken) -> ApiToken:
    if token.user_id != actor.pk:
        raise NotFound("No such token.")
    if token.revoked_at is not None:
        return token
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor=actor, action="api_token.revoked", target=token)
    return token


# --- Organizations, spaces and memberships (operators and demo data) ---------------------

def _create_audited(*, actor, obj, action: str):
    """Validate ``obj`` (a new organization or space), save it and audit ``action``, at once."""
    with transaction.atomic():
        try:
            obj.full_clean()
        except DjangoValidationError as exc:
            raise invalid(validation_error_details(exc)) from None
        obj.save()
        audit.record(actor=actor, action=action, target=obj)
    return obj


def organization_create(*, actor, slug: str, name: str) -> Organization:
    return _create_audited(actor=actor, obj=Organization(slug=slug, name=name), action="organization.created")


def space_create(*, actor, organization: Organization, slug: str, name: str, description: str = "",
                 catalog_product_limit: int | None = None) -> Space:
    if actor is not None and not access.can(actor, access.MANAGE, organization):
        raise PermissionDenied("Only organization admins can create spaces.")
    space = Space(organization=organization, slug=slug, name=name, description=description,
                  catalog_product_limit=catalog_product_limit)
    return _create_audited(actor=actor, obj=space, action="space.created")


def _membership_set(*, actor, model, action: str, target, user, role: str):
    """Give ``user`` ``role`` in ``target`` (an organization or a space); one audit event when
    the membership is new or its role changed."""
    with transaction.atomic():
        scope = {"organization" if model is OrganizationMembership else "space": target}
        membership, created = model.objects.get_or_create(**scope, user=user, defaults={"role": role})
        old = None if created else membership.role
        if not created and membership.role != role:
            membership.role = role
            membership.save(update_fields=["role"])
        if created or old != role:
            audit.record(actor=actor, action=action, target=target,
                         changes={"user": {"old": None, "new": user.get_username()}, "role": {"old": old, "new": role}})
    return membership


def organization_membership_set(*, actor, organization: Organization, user, role: str) -> OrganizationMembership:
    return _membership_set(actor=actor, model=OrganizationMembership, action="organization_membership.set",
                           target=organization, user=user, role=role)


def space_membership_set(*, actor, space: Space, user, role: str) -> SpaceMembership:
    if actor is not None and not access.can(actor, access.MANAGE, space):
        raise PermissionDenied("Only space admins can change members.")
    return _membership_set(actor=actor, model=SpaceMembership, action="space_membership.set", target=space,
                           user=user, role=role)


# --- space members managed by space admins --------------------------------------------------------

def _require_space_admin(actor, space: Space) -> None:
    if not access.can(actor, access.MANAGE, space):
        raise PermissionDenied("Only space admins can change members.")


def _other_admins(space: Space, user) -> bool:
    from catalog.choices import SpaceRole

    return SpaceMembership.objects.filter(space=space, role=SpaceRole.ADMIN).exclude(user=user).exists()


def space_member_add(*, actor, space: Space, user, role: str) -> SpaceMembership:
    """Add an existing user of the space's organization with ``role``."""
    from catalog.choices import SpaceRole
    from common.errors import Conflict

    _require_space_admin(actor, space)
    if role not in SpaceRole.values:
        raise invalid({"role": [f"Choose one of: {', '.join(SpaceRole.values)}."]})
    if user is None or not OrganizationMembership.objects.filter(
            user=user, organization_id=space.organization_id).exists():
        raise invalid({"username": ["No user of this organization has this name."]})
    if SpaceMembership.objects.filter(space=space, user=user).exists():
        raise Conflict(f"{user.get_username()} is already a member of this space; change their role instead.",
                       code="duplicate")
    return space_membership_set(actor=actor, space=space, user=user, role=role)


def space_member_change_role(*, actor, space: Space, user, role: str) -> SpaceMembership:
    """Change a member's role; the last admin of a space keeps the admin role."""
    from catalog.choices import SpaceRole
    from common.errors import Conflict

    _require_space_admin(actor, space)
    if role not in SpaceRole.values:
        raise invalid({"role": [f"Choose one of: {', '.join(SpaceRole.values)}."]})
    membership = SpaceMembership.objects.filter(space=space, user=user).first()
    if membership is None:
        raise NotFound("This user is not a member of the space.")
    if membership.role == SpaceRole.ADMIN and role != SpaceRole.ADMIN and not _other_admins(space, user):
        raise Conflict("A space keeps at least one admin; make someone else admin first.", code="last_admin")
    return space_membership_set(actor=actor, space=space, user=user, role=role)


def space_membership_remove(*, actor, space: Space, user) -> None:
    """Remove a member from the space; the last admin of a space cannot be removed."""
    from catalog.choices import SpaceRole
    from common.errors import Conflict

    _require_space_admin(actor, space)
    with transaction.atomic():
        membership = SpaceMembership.objects.select_for_update().filter(space=space, user=user).first()
        if membership is None:
            raise NotFound("This user is not a member of the space.")
        if membership.role == SpaceRole.ADMIN and not _other_admins(space, user):
            raise Conflict("A space keeps at least one admin; make someone else admin first.", code="last_admin")
        old = membership.role
        membership.delete()
        audit.record(actor=actor, action="space_membership.removed", target=space,
                     changes={"user": {"old": user.get_username(), "new": None}, "role": {"old": old, "new": None}})
