"""Change requests and access requests: the writes (atomic, audited) and the reads
(restricted to what the user may see).

Approval rule (DOMAIN.md): each required reviewer group (product owners, product data
architects) needs one approval from a member who is not the requester; a space admin stands
in for a group that is empty or holds only the requester; any rejection rejects; the
requester never reviews their own request.

Besides record fields, a change request proposes the actions the space change policy governs
(``policy.ACTION_FIELDS``): ``current_version`` (a version id of the record),
``current_artifact`` (an active artifact id) and ``release_version`` (the id of a draft
version to release; its old value is always null). Applying one calls the same modelrepo
service as the direct action, with ``change_request=``, inside the apply's transaction."""

import json
import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from catalog.models import Product
from catalog import access, audit
from modelrepo import policy
from catalog.choices import ProductRoleName
from governance.models import ChangeRequest, ChangeRequestStatus, ChangeReview, ReviewDecision
from catalog.models import ProductRole
from common.errors import Conflict, NotFound, PermissionDenied, invalid

REVIEWER_GROUPS = (ProductRoleName.OWNER.value, ProductRoleName.DATA_ARCHITECT.value)
GROUP_LABELS = {ProductRoleName.OWNER.value: "product owners", ProductRoleName.DATA_ARCHITECT.value: "data architects"}
OPEN_STATUSES = (ChangeRequestStatus.DRAFT, ChangeRequestStatus.PENDING, ChangeRequestStatus.APPROVED)
# Identity and type of a record are not proposed through change requests.
NOT_PROPOSABLE = ("product_type", "slug")
logger = logging.getLogger(__name__)


def _record_fields():
    from modelrepo import services as modelrepo_services  # modelrepo imports governance

    return modelrepo_services


ACTION_LABELS = {"current_version": "Current version", "current_artifact": "Current artifact",
                 "release_version": "Release version"}


def proposable_fields() -> tuple[str, ...]:
    m = _record_fields()
    return (*(f for f in (*m.PRODUCT_FIELDS, *m.DETAIL_FIELDS) if f not in NOT_PROPOSABLE), *policy.ACTION_FIELDS)


def _jsonable(value):
    return json.loads(json.dumps(value, default=str))


def _current_artifact_id(product: Product):
    from modelrepo.models import Artifact

    return Artifact.objects.active().filter(product=product, is_current=True).values_list("pk", flat=True).first()


def record_snapshot(product: Product) -> dict:
    """Every proposable field's current value, as JSON; the current version and artifact as ids
    (``release_version`` has no current value: it is judged per version, see ``_stale``)."""
    from modelrepo.models import ModelDetails

    m = _record_fields()
    snapshot = {f: getattr(product, f) for f in m.PRODUCT_FIELDS}
    details = ModelDetails.objects.filter(product=product).first() or ModelDetails(product=product)
    snapshot.update({f: getattr(details, f) for f in m.DETAIL_FIELDS})
    snapshot["current_version"] = details.current_version_id
    snapshot["current_artifact"] = _current_artifact_id(product)
    return {k: _jsonable(v) for k, v in snapshot.items() if k not in NOT_PROPOSABLE}


# --- the governed actions: current version, current artifact, release ----------------------------------

def _version_of(product: Product, value):
    from modelrepo.models import ModelVersion

    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return ModelVersion.objects.filter(product=product, pk=value.strip()).first()
    except (DjangoValidationError, ValueError):
        return None


def _artifact_of(product: Product, value):
    from modelrepo.models import Artifact

    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return Artifact.objects.active().filter(product=product, pk=value.strip()).select_related("version").first()
    except (DjangoValidationError, ValueError):
        return None


def _release_files(version) -> dict:
    """The files a release of ``version`` would sign, name → sha256: what reviewers approved."""
    from modelrepo import versions

    return {a.file_name: a.sha256 for a in versions.signed_artifacts(version)}


def _action_problem(product: Product, field: str, value):
    """(the target's id as text, None) when ``value`` is a valid target of ``field``, else (None, message)."""
    from modelrepo.choices import Safety
    from modelrepo.models import Artifact

    if field == "current_artifact":
        artifact = _artifact_of(product, value)
        if artifact is None:
            return None, "Choose an active artifact of this record."
        if artifact.safety == Safety.UNSAFE:
            return None, f"{artifact.file_name} was judged unsafe by the pickle scan and cannot be made current."
        files, doing = [artifact], f"making {artifact.file_name} the current artifact"
        target = artifact
    else:
        version = _version_of(product, value)
        if version is None:
            return None, "Choose a version of this record."
        files = list(Artifact.objects.active().filter(version=version))
        target = version
        if field == "current_version":
            if version.yanked:
                return None, f"Version {version.label} was yanked and cannot be made current."
            doing = f"making version {version.label} the current version"
        else:
            if version.is_released:
                return None, f"Version {version.label} is already released."
            unsafe = sorted(a.file_name for a in files if a.safety == Safety.UNSAFE)
            if unsafe:
                return None, f"Version {version.label} has artifacts judged unsafe ({', '.join(unsafe)}); they cannot be released."
            if not _release_files(version):
                return None, f"Version {version.label} has no uploaded artifact; upload at least one file before proposing its release."
            doing = f"releasing version {version.label}"
    try:
        policy.check_pickle(product, files, doing)
    except policy.PickleForbidden as exc:
        return None, exc.message
    return str(target.pk), None


def _validated(product: Product, proposed: dict) -> dict:
    """Refuse unknown fields and values the record would not accept; returns the changes
    with version and artifact ids in their canonical form."""
    from modelrepo.models import ModelDetails

    if not isinstance(proposed, dict) or not proposed:
        raise invalid({"changes": ["Propose at least one field change."]})
    allowed = set(proposable_fields())
    unknown = sorted(set(proposed) - allowed)
    if unknown:
        raise invalid({name: ["This field cannot be changed through a change request."] for name in unknown})
    m = _record_fields()
    errors, proposed = {}, dict(proposed)
    for field in policy.ACTION_FIELDS:
        if field in proposed:
            proposed[field], problem = _action_problem(product, field, proposed[field])
            if problem:
                errors[field] = [problem]
    product_data, details_data = m.split_fields({f: v for f, v in proposed.items() if f not in policy.ACTION_FIELDS})
    if product_data:
        candidate = Product.objects.get(pk=product.pk)
        for field, value in product_data.items():
            setattr(candidate, field, value)
        try:
            candidate.full_clean(exclude=["space", "created_by", "slug"], validate_unique=False)
        except DjangoValidationError as exc:
            errors.update({k: v for k, v in exc.message_dict.items() if k in product_data})
    if details_data:
        details = ModelDetails.objects.filter(product=product).first() or ModelDetails(product=product)
        for field, value in details_data.items():
            setattr(details, field, value)
        try:
            details.full_clean(exclude=["product"], validate_unique=False)
        except DjangoValidationError as exc:
            errors.update({k: v for k, v in exc.message_dict.items() if k in details_data})
    if errors:
        raise invalid(errors)
    return proposed


def _artifact_label(artifact) -> str:
    # File names are unique within a version only, so the version's label tells them apart.
    return f"{artifact.file_name} ({artifact.version_label})" if artifact.version_label else artifact.file_name


def describe_value(product: Product, field: str, value):
    """A proposed value as a person reads it: versions by label, artifacts by file name
    (record field values as they are)."""
    if value is None or field not in policy.ACTION_FIELDS:
        return value
    if field == "current_artifact":
        from modelrepo.models import Artifact

        try:
            artifact = Artifact.objects.filter(product=product, pk=value).first()
        except (DjangoValidationError, ValueError):
            artifact = None
        return _artifact_label(artifact) if artifact is not None else str(value)
    version = _version_of(product, value)
    return version.label if version is not None else str(value)


def describe_changes(change_request: ChangeRequest) -> list[dict]:
    """The proposed changes with ``label``, ``old_display`` and ``new_display`` for people."""
    product = change_request.product
    return [{**c, "label": ACTION_LABELS.get(c["field"], c["field"]),
             "old_display": describe_value(product, c["field"], c["old_value"]),
             "new_display": describe_value(product, c["field"], c["new_value"])} for c in change_request.changes]


def _model_field_choices() -> dict:
    """Proposable record fields with a fixed set of values (risk classification, lifecycle
    stage, ...): their (value, label) choices, as the model declares them."""
    from modelrepo.models import ModelDetails

    m = _record_fields()
    result = {}
    for model, names in ((Product, m.PRODUCT_FIELDS), (ModelDetails, m.DETAIL_FIELDS)):
        for name in names:
            field = model._meta.get_field(name)
            if name not in NOT_PROPOSABLE and getattr(field, "choices", None):
                result[name] = [(str(value), str(label)) for value, label in field.choices]
    return result


def action_choices(product: Product) -> dict:
    """For the form: the choices of each field that has them, the versions and artifacts of the
    action fields as (id, label)."""
    from modelrepo.choices import Safety
    from modelrepo.models import Artifact, ModelVersion

    versions = list(ModelVersion.objects.filter(product=product).order_by("-created_at", "-id"))
    artifacts = (Artifact.objects.active().filter(product=product).exclude(safety=Safety.UNSAFE)
                 .order_by("file_name", "version_label"))
    return {
        **_model_field_choices(),
        "current_version": [(str(v.pk), v.label) for v in versions if not v.yanked],
        "release_version": [(str(v.pk), v.label) for v in versions if not v.is_released],
        "current_artifact": [(str(a.pk), _artifact_label(a)) for a in artifacts],
    }


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
    changes = _validated(product, changes)
    snapshot = record_snapshot(product)
    proposed = [{"field": f, "old_value": snapshot.get(f), "new_value": _jsonable(v)} for f, v in changes.items()]
    if policy.RELEASE_FIELD in changes:
        # What the reviewers approve is this set of files; a change to it makes the request stale.
        snapshot["release_files"] = _release_files(_version_of(product, changes[policy.RELEASE_FIELD]))
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


def _stale(product: Product, change_request: ChangeRequest) -> list[str]:
    """The proposed fields that no longer hold their old value. A release is stale once the
    version is released (or gone) or its files differ from those the reviewers saw."""
    current = record_snapshot(product)
    stale = []
    for change in change_request.changes:
        field = change["field"]
        if field == policy.RELEASE_FIELD:
            version = _version_of(product, change["new_value"])
            if (version is None or version.is_released
                    or _release_files(version) != change_request.base_snapshot.get("release_files")):
                stale.append(field)
        elif current.get(field) != change["old_value"]:
            stale.append(field)
    return stale


def _apply_record_fields(actor, product: Product, change_request: ChangeRequest, proposed: dict) -> None:
    from catalog import services as catalog_services
    from modelrepo.models import ModelDetails

    product_data, details_data = _record_fields().split_fields(proposed)
    details, _ = ModelDetails.objects.get_or_create(product=product)
    for field, value in details_data.items():
        setattr(details, field, value)
    try:
        details.full_clean(exclude=["product"], validate_unique=False)
    except DjangoValidationError as exc:
        raise invalid(exc.message_dict) from None
    catalog_services.product_apply_update(actor=actor, product=product, data=product_data)
    details.save()
    product.save(update_fields=["updated_at"])
    changes = {c["field"]: {"old": c["old_value"], "new": c["new_value"]} for c in change_request.changes
               if c["field"] in proposed}
    audit.record(actor=actor, action="model_record.updated", target=product,
                 changes={**changes, "change_request": {"old": None, "new": str(change_request.pk)}})


def _apply_actions(actor, product: Product, change_request: ChangeRequest, proposed: dict) -> None:
    """Release, then move the pointers, through the services a direct action uses (history
    rows, audit events, signing); each records the change request in its audit event."""
    from modelrepo import artifacts, versions

    reason = f"Change request: {change_request.title}"
    if policy.RELEASE_FIELD in proposed:
        versions.version_release(actor=actor, product=product, version=_version_of(product, proposed["release_version"]),
                                 change_request=change_request)
    if "current_version" in proposed:
        versions.version_make_current(actor=actor, product=product, reason=reason, change_request=change_request,
                                      version=_version_of(product, proposed["current_version"]))
    if "current_artifact" in proposed:
        artifact = _artifact_of(product, proposed["current_artifact"])
        if artifact is None:
            raise Conflict("The proposed artifact was deleted; open a new change request.", code="artifact_deleted")
        artifacts.artifact_make_current(actor=actor, product=product, artifact=artifact, reason=reason,
                                        change_request=change_request)


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
        stale = _stale(product, change_request)
        if stale:
            _transition(actor, change_request, ChangeRequestStatus.STALE, "change_request.stale",
                        fields={"old": None, "new": stale})
        else:
            proposed = {c["field"]: c["new_value"] for c in change_request.changes}
            record = {f: v for f, v in proposed.items() if f not in policy.ACTION_FIELDS}
            if record:
                _apply_record_fields(actor, product, change_request, record)
            _apply_actions(actor, product, change_request, proposed)
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

    if field in policy.ACTION_FIELDS:
        return raw.strip() or None  # an id chosen in a select; _validated checks it

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


# --- access requests -----------------------------------------------------------------------------------

HIDDEN_PRODUCT = "No product with this id exists, or you cannot see it; your request was not recorded."


def can_decide_access(user, access_request) -> bool:
    if access_request.product_id:
        return access.can(user, access.APPROVE_ACCESS, access_request.product)
    return access.can(user, access.MANAGE, access_request.space)


def access_request_create(*, actor, space=None, product_id=None, level: str, justification: str):
    """Ask for ``level`` access to a space (by its directory entry) or to one product. A product
    the requester cannot find in a space of their organization answers like a missing one."""
    from catalog.models import OrganizationMembership
    from catalog.models import AccessLevel, AccessRequest, AccessRequestStatus

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
    deciders = space_admins(space)
    if product is not None:
        deciders += [r.user for r in ProductRole.objects.filter(
            product=product, role__in=[ProductRoleName.OWNER, ProductRoleName.STEWARD]).select_related("user")]
    _send(f"Access request: {actor.get_username()} asks {level} access",
          f"{actor.get_username()} asks for {level} access to {product or space}. Open your inbox in Qarion to decide.",
          deciders)
    return access_request


def _locked_access(access_request):
    from catalog.models import AccessRequest

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
        _send(f"Your access request was {new_status}",
              f"Your request for {access_request.level} access to {access_request.product or access_request.space} "
              f"is now {new_status}.{(' Notes: ' + notes) if notes else ''}", [access_request.requester])
    return access_request


def _apply_space_access(actor, access_request, new_status):
    """A granted space request is a space membership; revoking it removes that membership."""
    from catalog import services as catalog_services
    from catalog.choices import SpaceRole
    from catalog.models import SpaceMembership

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
    from catalog.models import AccessRequest

    if not user.is_authenticated:
        return AccessRequest.objects.none()
    qs = AccessRequest.objects.select_related("space", "product", "requester", "decided_by")
    if user.is_superuser:
        return qs
    decidable_products = ProductRole.objects.filter(
        user=user, role__in=[ProductRoleName.OWNER, ProductRoleName.STEWARD]).values("product_id")
    from catalog.choices import OrganizationRole, SpaceRole
    from catalog.models import OrganizationMembership, SpaceMembership

    admin_spaces = SpaceMembership.objects.filter(user=user, role=SpaceRole.ADMIN).values("space_id")
    admin_orgs = OrganizationMembership.objects.filter(user=user, role=OrganizationRole.ORG_ADMIN).values(
        "organization_id")
    return qs.filter(Q(requester=user) | Q(product_id__in=decidable_products) | Q(space_id__in=admin_spaces)
                     | Q(space__organization_id__in=admin_orgs)).order_by("-created_at")


def visible_access_request(*, user, access_request_id):
    from catalog.models import AccessRequest

    try:
        return access_request_list(user=user).get(pk=access_request_id)
    except (AccessRequest.DoesNotExist, DjangoValidationError, ValueError):
        raise NotFound("No access request with this id exists, or you cannot see it.") from None


def access_requests_to_decide(*, user) -> QuerySet:
    """Requests waiting for ``user``'s decision (never their own)."""
    return access_request_list(user=user).filter(status="requested").exclude(requester_id=user.pk)
