"""What a change request may propose on a model record, and how: the record's fields and the
governed actions (``current_version``, ``current_artifact``, ``release_version``). Governance's
change-request workflow keeps the proposal as data and calls this module to validate it, to
take the snapshot the reviewers approve, to find it stale, to show it to people and to apply
it through the same services a direct change uses (with ``change_request=``). It knows
nothing of reviews."""

import json

from django.core.exceptions import ValidationError as DjangoValidationError

from catalog.models import Product
from common.errors import Conflict, invalid
from modelrepo import artifacts, policy, rules, services, versions
from modelrepo.models import Artifact, ModelDetails, ModelVersion

NOT_PROPOSABLE = ("product_type", "slug")
ACTION_FIELDS = policy.ACTION_FIELDS
LABELS = {"current_version": "Current version", "current_artifact": "Current artifact",
          "release_version": "Release version"}


def fields() -> tuple[str, ...]:
    """Every field a change request may propose, record fields first."""
    record = (f for f in (*services.PRODUCT_FIELDS, *services.DETAIL_FIELDS) if f not in NOT_PROPOSABLE)
    return (*record, *ACTION_FIELDS)


def label(field: str) -> str:
    return LABELS.get(field, field)


def _jsonable(value):
    return json.loads(json.dumps(value, default=str))


def snapshot(product: Product) -> dict:
    """Every proposable field's current value, as JSON; the current version and artifact as ids
    (``release_version`` has no current value: it is judged per version, see ``stale_fields``)."""
    values = {f: getattr(product, f) for f in services.PRODUCT_FIELDS}
    details = ModelDetails.objects.filter(product=product).first() or ModelDetails(product=product)
    values.update({f: getattr(details, f) for f in services.DETAIL_FIELDS})
    values["current_version"] = details.current_version_id
    values["current_artifact"] = (Artifact.objects.active().filter(product=product, is_current=True)
                                  .values_list("pk", flat=True).first())
    return {k: _jsonable(v) for k, v in values.items() if k not in NOT_PROPOSABLE}


def base_snapshot(product: Product, changes: dict) -> dict:
    """What the reviewers approve: the record's values, and for a release the files it would sign."""
    base = snapshot(product)
    if policy.RELEASE_FIELD in changes:
        # A change to this set of files makes the request stale.
        base["release_files"] = _release_files(_version_of(product, changes[policy.RELEASE_FIELD]))
    return base


# --- the governed actions: current version, current artifact, release ----------------------------

def _version_of(product: Product, value):
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return ModelVersion.objects.filter(product=product, pk=value.strip()).first()
    except (DjangoValidationError, ValueError):
        return None


def _artifact_of(product: Product, value):
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return Artifact.objects.active().filter(product=product, pk=value.strip()).select_related("version").first()
    except (DjangoValidationError, ValueError):
        return None


def _release_files(version) -> dict:
    """The files a release of ``version`` would sign, name → sha256: what reviewers approved."""
    return {a.file_name: a.sha256 for a in versions.signed_artifacts(version)}


def _action_problem(product: Product, field: str, value):
    """(the target's id as text, None) when ``value`` is a valid target of ``field``, else
    (None, message): the same rules the services apply (``modelrepo.rules``, the pickle rule)."""
    if field == "current_artifact":
        artifact = _artifact_of(product, value)
        if artifact is None:
            return None, "Choose an active artifact of this record."
        refusal = rules.artifact_current_refusal(artifact)
        files, doing, target = [artifact], f"making {artifact.file_name} the current artifact", artifact
    else:
        version = _version_of(product, value)
        if version is None:
            return None, "Choose a version of this record."
        target = version
        if field == "current_version":
            refusal = rules.version_current_refusal(version)
            files, doing = list(Artifact.objects.active().filter(version=version)), \
                f"making version {version.label} the current version"
        else:
            files = [] if version.is_released else list(versions.signed_artifacts(version))
            refusal = rules.version_release_refusal(version, files)
            doing = f"releasing version {version.label}"
    if refusal is not None:
        return None, refusal.message
    try:
        policy.check_pickle(product, files, doing)
    except policy.PickleForbidden as exc:
        return None, exc.message
    return str(target.pk), None


def validate(product: Product, proposed: dict) -> dict:
    """Refuse unknown fields and values the record would not accept; returns the changes
    with version and artifact ids in their canonical form."""
    if not isinstance(proposed, dict) or not proposed:
        raise invalid({"changes": ["Propose at least one field change."]})
    unknown = sorted(set(proposed) - set(fields()))
    if unknown:
        raise invalid({name: ["This field cannot be changed through a change request."] for name in unknown})
    errors, proposed = {}, dict(proposed)
    for field in ACTION_FIELDS:
        if field in proposed:
            proposed[field], problem = _action_problem(product, field, proposed[field])
            if problem:
                errors[field] = [problem]
    product_data, details_data = services.split_fields({f: v for f, v in proposed.items() if f not in ACTION_FIELDS})
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
    return {field: _jsonable(value) for field, value in proposed.items()}


def stale_fields(product: Product, changes: list[dict], base: dict) -> list[str]:
    """The proposed fields (``changes``: [{field, old_value, new_value}]) that no longer hold
    their old value. A release is stale once the version is released (or gone) or its files
    differ from those in ``base`` (what the reviewers saw)."""
    current = snapshot(product)
    stale = []
    for change in changes:
        field = change["field"]
        if field == policy.RELEASE_FIELD:
            version = _version_of(product, change["new_value"])
            if version is None or version.is_released or _release_files(version) != base.get("release_files"):
                stale.append(field)
        elif current.get(field) != change["old_value"]:
            stale.append(field)
    return stale


def apply(*, actor, product: Product, change_request, proposed: dict) -> None:
    """Write ``proposed`` ({field: value}) through the services a direct change uses (audit
    events, history rows, signing), each naming ``change_request``: record fields first,
    then the release, then the pointers."""
    record = {f: v for f, v in proposed.items() if f not in ACTION_FIELDS}
    if record:
        services.model_record_update(actor=actor, product=product, data=record, change_request=change_request)
    reason = f"Change request: {change_request.title}"
    if policy.RELEASE_FIELD in proposed:
        versions.version_release(actor=actor, product=product, change_request=change_request,
                                 version=_version_of(product, proposed[policy.RELEASE_FIELD]))
    if "current_version" in proposed:
        versions.version_make_current(actor=actor, product=product, reason=reason, change_request=change_request,
                                      version=_version_of(product, proposed["current_version"]))
    if "current_artifact" in proposed:
        artifact = _artifact_of(product, proposed["current_artifact"])
        if artifact is None:
            raise Conflict("The proposed artifact was deleted; open a new change request.", code="artifact_deleted")
        artifacts.artifact_make_current(actor=actor, product=product, artifact=artifact, reason=reason,
                                        change_request=change_request)


# --- for people: values as they read them, and the form --------------------------------------------

def _artifact_label(artifact) -> str:
    # File names are unique within a version only, so the version's label tells them apart.
    return f"{artifact.file_name} ({artifact.version_label})" if artifact.version_label else artifact.file_name


def describe_value(product: Product, field: str, value):
    """A proposed value as a person reads it: versions by label, artifacts by file name
    (record field values as they are)."""
    if value is None or field not in ACTION_FIELDS:
        return value
    if field == "current_artifact":
        try:
            artifact = Artifact.objects.filter(product=product, pk=value).first()
        except (DjangoValidationError, ValueError):
            artifact = None
        return _artifact_label(artifact) if artifact is not None else str(value)
    version = _version_of(product, value)
    return version.label if version is not None else str(value)


def _field_choices() -> dict:
    """Proposable record fields with a fixed set of values (risk classification, lifecycle
    stage, ...): their (value, label) choices, as the model declares them."""
    result = {}
    for model, names in ((Product, services.PRODUCT_FIELDS), (ModelDetails, services.DETAIL_FIELDS)):
        for name in names:
            field = model._meta.get_field(name)
            if name not in NOT_PROPOSABLE and getattr(field, "choices", None):
                result[name] = [(str(value), str(label)) for value, label in field.choices]
    return result


def form_choices(product: Product) -> dict:
    """For the form: the choices of each field that has them, and the versions and artifacts
    the action fields may name as (id, label), leaving out what the rules refuse."""
    all_versions = list(ModelVersion.objects.filter(product=product).order_by("-created_at", "-id"))
    active = Artifact.objects.active().filter(product=product).order_by("file_name", "version_label")
    return {
        **_field_choices(),
        "current_version": [(str(v.pk), v.label) for v in all_versions if rules.version_current_refusal(v) is None],
        "release_version": [(str(v.pk), v.label) for v in all_versions if not v.is_released],
        "current_artifact": [(str(a.pk), _artifact_label(a)) for a in active
                             if rules.artifact_current_refusal(a) is None],
    }


def coerce_form_value(field: str, raw: str):
    """A value typed in the change request form, as the record field holds it."""
    if field in ACTION_FIELDS:
        return raw.strip() or None  # an id chosen in a select; ``validate`` checks it
    model = ModelDetails if field in services.DETAIL_FIELDS else Product
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
