"""The space change policy: which updates of a record need an approved change request
instead of a direct edit. It governs updates, never creation.

``space.change_policy`` maps rule names to booleans. New spaces start with every rule on
(``catalog.models.default_change_policy``); a missing or false key is a rule that is off, so
a space whose policy is ``{}`` governs nothing. Rules added after a space was created
(``high_risk_forbid_pickle``) are therefore off until a space admin turns them on.

Besides field updates, the policy governs two actions on high-risk records: releasing a
version and moving the current version or artifact. A change request proposes them with the
pseudo-fields of ``ACTION_FIELDS``; applying it calls the same services with
``change_request=`` (the approval stands in for the policy check)."""

from urllib.parse import urlencode

from django.urls import reverse

from catalog.models import Product, Space, default_change_policy
from common.errors import Conflict, ValidationFailed
from modelrepo.scanning import PICKLE_FORMATS

RISK_CLASSIFICATION = "risk_classification"
DEPLOYMENT_STATUS_PRODUCTION = "deployment_status_production"
HIGH_RISK_RELEASE = "high_risk_release"
HIGH_RISK_CURRENT_POINTER = "high_risk_current_pointer"
HIGH_RISK_FORBID_PICKLE = "high_risk_forbid_pickle"

RULE_LABELS = {
    RISK_CLASSIFICATION: "Changing the risk classification",
    DEPLOYMENT_STATUS_PRODUCTION: "Setting the deployment status to production",
    HIGH_RISK_RELEASE: "Releasing a version of a high-risk record",
    HIGH_RISK_CURRENT_POINTER: "Moving the current version or artifact of a high-risk record",
    HIGH_RISK_FORBID_PICKLE: "Forbid pickle-based formats for high-risk records",
}
POINTER_FIELDS = ("current_version", "current_artifact")
RELEASE_FIELD = "release_version"
# What a change request proposes besides record fields: the value is a version or artifact id.
ACTION_FIELDS = (*POINTER_FIELDS, RELEASE_FIELD)


def rules(space) -> dict[str, bool]:
    """The space's rules with every key present, read from the database (not a cached instance)."""
    policy = Space.objects.filter(pk=space.pk).values_list("change_policy", flat=True).first()
    if not isinstance(policy, dict):
        policy = default_change_policy()
    return {key: bool(policy.get(key, False)) for key in RULE_LABELS}


def _details(product: Product):
    from modelrepo.models import ModelDetails  # modelrepo imports governance; keep the cycle lazy

    return ModelDetails.objects.filter(product=product).first()


def governed_fields(product: Product, changes: dict) -> list[str]:
    """The fields of ``changes`` ({field: new value}) that the product's space only lets an
    approved change request change. Values equal to the current ones are not changes."""
    active = rules(product.space)
    details = _details(product)
    current_risk = getattr(details, "risk_classification", None)
    result = []
    if active[RISK_CLASSIFICATION] and "risk_classification" in changes:
        if changes["risk_classification"] != current_risk:
            result.append("risk_classification")
    if active[DEPLOYMENT_STATUS_PRODUCTION] and changes.get("deployment_status") == "production":
        if getattr(details, "deployment_status", None) != "production":
            result.append("deployment_status")
    if active[HIGH_RISK_CURRENT_POINTER] and current_risk == "high":
        result.extend(field for field in POINTER_FIELDS if field in changes)
    if active[HIGH_RISK_RELEASE] and current_risk == "high" and RELEASE_FIELD in changes:
        result.append(RELEASE_FIELD)
    return result


def _high_risk_rule(product: Product, rule: str) -> bool:
    details = _details(product)
    return getattr(details, "risk_classification", None) == "high" and rules(product.space)[rule]


def governs_release(product: Product) -> bool:
    """Whether releasing a version of ``product`` needs an approved change request."""
    return _high_risk_rule(product, HIGH_RISK_RELEASE)


def governs_current_pointer(product: Product) -> bool:
    """Whether moving the product's current version or artifact needs an approved change request."""
    return _high_risk_rule(product, HIGH_RISK_CURRENT_POINTER)


def forbids_pickle(product: Product) -> bool:
    """Whether pickle-based files may not be made current or released on ``product``."""
    return _high_risk_rule(product, HIGH_RISK_FORBID_PICKLE)


class ChangeRequestRequired(ValidationFailed):
    """A direct update of governed fields: refused before any work starts (409)."""

    status = 409
    code = "change_request_required"


class PickleForbidden(Conflict):
    """Making current or releasing pickle-based files of a high-risk record (409)."""

    code = "pickle_forbidden"


def change_request_url(product: Product, changes: dict, *, title: str = "") -> str:
    """The change request form of ``product``, pre-filled with ``changes`` (and a title)."""
    prefill = {k: "" if v is None else v for k, v in changes.items() if isinstance(v, (str, int, float, bool)) or v is None}
    if title:
        prefill["title"] = title
    query = urlencode(prefill)
    url = reverse("governance:change_request_create", kwargs={"product_id": product.pk})
    return f"{url}?{query}" if query else url


def _require_change_request(product: Product, changes: dict, what: str, *, title: str = "", hint: str = "",
                            inputs=None) -> None:
    """Raise ChangeRequestRequired for ``what`` (a phrase such as "changing risk_classification"),
    offering the change request form pre-filled with ``changes``. ``hint`` (a sentence ending
    in a colon) replaces "Open a change request instead:"; ``inputs`` names the caller's
    fields that asked for the change (the details carry the message under them)."""
    url = change_request_url(product, changes, title=title)
    message = f"This space requires an approved change request before {what}. {hint or 'Open a change request instead:'} {url}"
    details = {field: [f"{what[:1].upper()}{what[1:]} needs an approved change request."] for field in inputs or changes}
    details["change_request_url"] = url
    raise ChangeRequestRequired(message, details=details)


def check_update(product: Product, changes: dict) -> None:
    """Refuse a direct update of fields the space governs, offering a change request instead."""
    fields = governed_fields(product, changes)
    if fields:
        _require_change_request(product, {f: changes[f] for f in fields}, f"changing {', '.join(fields)}")


def pickle_based(artifacts) -> list[str]:
    """File names of ``artifacts`` whose detected format runs code when loaded, or whose
    format details say they hold a pickle (numpy object arrays, zips with ``.pkl`` members)."""
    return sorted(a.file_name for a in artifacts
                  if a.detected_format in PICKLE_FORMATS or (a.format_details or {}).get("contains_pickle") is True)


def check_pickle(product: Product, artifacts, doing: str) -> None:
    """Refuse ``doing`` with pickle-based ``artifacts`` when the space forbids them on this record."""
    files = pickle_based(artifacts)
    if files and forbids_pickle(product):
        raise PickleForbidden(
            f"This space forbids pickle-based formats for high-risk records, so {doing} is refused: "
            f"{', '.join(files)} {'is' if len(files) == 1 else 'are'} pickle-based (pickle, PyTorch or joblib). "
            "Convert the weights to a format that cannot run code, such as safetensors or ONNX.",
            details={"files": files})


def check_current_pointer(product: Product, *, field: str, label: str, value=None, artifacts=(),
                          change_request=None, hint: str = "", asked_by: str = "") -> None:
    """Refuse moving the current version or artifact (``field``) to ``value`` (an id, or
    None when the target does not exist yet; ``label`` names it): pickle-based ``artifacts``
    when the space forbids them, and a direct move the space governs (an approved
    ``change_request`` is what the policy asks for, so it passes). ``asked_by`` is the
    caller's input that asked for the move, such as ``make_current``."""
    what = "the current version" if field == "current_version" else "the current artifact"
    check_pickle(product, artifacts, f"making {label} {what}")
    if change_request is None and governs_current_pointer(product):
        _require_change_request(product, {field: value}, f"moving {what} of a high-risk record",
                                title=f"Move {what}", hint=hint, inputs=[asked_by] if asked_by else None)


def check_release(product: Product, *, version, artifacts=(), change_request=None) -> None:
    """Refuse releasing ``version`` with pickle-based ``artifacts`` when the space forbids
    them, and a direct release the space governs (``change_request`` passes)."""
    check_pickle(product, artifacts, f"releasing version {version.label}")
    if change_request is None and governs_release(product):
        _require_change_request(product, {RELEASE_FIELD: str(version.pk)},
                                "releasing a version of a high-risk record", title=f"Release version {version.label}")
