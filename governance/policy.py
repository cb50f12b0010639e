"""The space change policy: which updates of a record need an approved change request
instead of a direct edit. It governs updates, never creation.

``space.change_policy`` maps rule names to booleans. New spaces start with every rule on
(``catalog.models.default_change_policy``); a missing or false key is a rule that is off, so
a space whose policy is ``{}`` governs nothing."""

from urllib.parse import urlencode

from django.urls import reverse

from catalog.models import Product, Space, default_change_policy
from qarion.errors import ValidationFailed

RISK_CLASSIFICATION = "risk_classification"
DEPLOYMENT_STATUS_PRODUCTION = "deployment_status_production"
HIGH_RISK_RELEASE = "high_risk_release"
HIGH_RISK_CURRENT_POINTER = "high_risk_current_pointer"

RULE_LABELS = {
    RISK_CLASSIFICATION: "Changing the risk classification",
    DEPLOYMENT_STATUS_PRODUCTION: "Setting the deployment status to production",
    HIGH_RISK_RELEASE: "Releasing a version of a high-risk record",
    HIGH_RISK_CURRENT_POINTER: "Moving the current version or artifact of a high-risk record",
}
POINTER_FIELDS = ("current_version", "current_artifact")


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
    return result


def governs_release(product: Product) -> bool:
    """Whether releasing a version of ``product`` needs an approved change request."""
    details = _details(product)
    return rules(product.space)[HIGH_RISK_RELEASE] and getattr(details, "risk_classification", None) == "high"


def governs_current_pointer(product: Product) -> bool:
    """Whether moving the product's current version or artifact needs an approved change request."""
    details = _details(product)
    return rules(product.space)[HIGH_RISK_CURRENT_POINTER] and getattr(details, "risk_classification", None) == "high"


class ChangeRequestRequired(ValidationFailed):
    """A direct update of governed fields: refused before any work starts (409)."""

    status = 409
    code = "change_request_required"


def change_request_url(product: Product, changes: dict) -> str:
    """The change request form of ``product``, pre-filled with ``changes``."""
    query = urlencode({k: "" if v is None else v for k, v in changes.items() if isinstance(v, (str, int, float, bool)) or v is None})
    url = reverse("governance_requests:change_request_create", kwargs={"product_id": product.pk})
    return f"{url}?{query}" if query else url


def check_update(product: Product, changes: dict) -> None:
    """Refuse a direct update of fields the space governs, offering a change request instead."""
    fields = governed_fields(product, changes)
    if not fields:
        return
    url = change_request_url(product, {f: changes[f] for f in fields})
    names = ", ".join(fields)
    message = (f"This space requires an approved change request to change {names}. "
               f"Open a change request instead: {url}")
    details = {field: [f"Changing {field} needs an approved change request."] for field in fields}
    details["change_request_url"] = url
    raise ChangeRequestRequired(message, details=details)
