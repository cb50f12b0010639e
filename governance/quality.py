"""Quality checks and the health score of a product.

Built-in governance checks are created on a product's first run and evaluated from its record,
artifacts and roles; custom checks are declared by editors and fed by automation through the
API. Every run appends one result per check (the history is kept); the health score is the
share of enabled checks whose newest result passed.

Checks run periodically (``run_all``) and after each audited write that can change an outcome
(``schedule_after``): once per product per transaction, when it commits.

Who may do what: anyone who can view the product reads its checks, results and health; editors
run the checks, declare custom checks and post results."""

import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from catalog import access, audit
from catalog.choices import AI_PRODUCT_TYPES, ProductRoleName
from catalog.models import (
    Product,
    ProductRole,
    QualityCheck,
    QualityCheckType,
    QualityResult,
    QualitySeverity,
    QualityStatus,
)
from common.errors import NotFound, PermissionDenied, ValidationFailed

log = logging.getLogger(__name__)

FIELD_LABELS = {
    "intended_use": "intended use",
    "limitations": "limitations",
    "risk_rationale": "risk rationale",
    "risk_classification": "risk classification",
    "training_compute_flops": "training compute (FLOP)",
    "training_data_summary": "training data summary",
    "copyright_policy_url": "copyright policy URL",
    "acceptable_use_policy_url": "acceptable use policy URL",
    "downstream_obligations_doc": "downstream obligations",
}
GPAI_FIELDS = ("training_compute_flops", "training_data_summary", "copyright_policy_url",
               "acceptable_use_policy_url", "downstream_obligations_doc")
# An open-source licence stands in for the two policies (the AI Act's open-source exemption).
GPAI_POLICY_FIELDS = ("copyright_policy_url", "acceptable_use_policy_url")
HIGH_RISK_FIELDS = ("intended_use", "limitations", "risk_rationale")

BUILTIN_CHECKS = {
    QualityCheckType.DOCUMENTATION: (QualitySeverity.CRITICAL,
                                     "The record documents what its risk classification requires."),
    QualityCheckType.GPAI_DUTIES: (QualitySeverity.ERROR,
                                   "A general-purpose AI model documents its GPAI duties."),
    QualityCheckType.MODEL_CARD: (QualitySeverity.ERROR, "A high-risk record has a model card artifact."),
    QualityCheckType.EVAL_REPORT: (QualitySeverity.ERROR, "A high-risk record has an evaluation report artifact."),
    QualityCheckType.CHECKSUM: (QualitySeverity.CRITICAL, "The current artifact's checksum was verified."),
    QualityCheckType.OWNER: (QualitySeverity.ERROR, "Someone holds the owner role."),
    QualityCheckType.STEWARD: (QualitySeverity.WARNING, "A high-risk record has at least one steward."),
}
# Data products carry no model record; only the role checks apply to them.
DATA_PRODUCT_CHECKS = (QualityCheckType.OWNER,)


@dataclass
class Outcome:
    status: str
    message: str = ""
    fix: str = ""
    value: float | None = None


def _passed(message: str) -> Outcome:
    return Outcome(QualityStatus.PASSED, message, value=1.0)


def _failed(message: str, fix: str) -> Outcome:
    return Outcome(QualityStatus.FAILED, message, fix, value=0.0)


def _details(product):
    from modelrepo.models import ModelDetails

    try:
        return product.model_details
    except ModelDetails.DoesNotExist:
        return None


def _missing_fields(details, names) -> list[str]:
    return [n for n in names if getattr(details, n) in (None, "")]


def _has_artifact(product, kind) -> bool:
    from modelrepo.models import Artifact

    return Artifact.objects.active().filter(product=product, kind=kind).exists()


def _is_high(details) -> bool:
    return details is not None and details.risk_classification == "high"


def evaluate_documentation(product) -> Outcome:
    details = _details(product)
    if details is None:
        return _failed("This product has no model record to document.", "field:risk_classification")
    risk = details.risk_classification
    if risk == "unacceptable":
        return _failed("Unacceptable-risk AI practices are prohibited: retire the system or correct its "
                       "risk classification.", "field:risk_classification")
    if risk == "high":
        missing = _missing_fields(details, HIGH_RISK_FIELDS)
        if missing:
            names = ", ".join(FIELD_LABELS[m] for m in missing)
            return _failed(f"High-risk records document {names}: fill in the {FIELD_LABELS[missing[0]]}.",
                           f"field:{missing[0]}")
    return _passed(f"Documentation complete for risk class {details.get_risk_classification_display()}.")


def evaluate_gpai_duties(product) -> Outcome:
    details = _details(product)
    if details is None or not details.is_gpai:
        return _passed("Not a general-purpose AI model.")
    required = [f for f in GPAI_FIELDS if not (details.open_source_license and f in GPAI_POLICY_FIELDS)]
    missing = _missing_fields(details, required)
    if missing:
        names = ", ".join(FIELD_LABELS[m] for m in missing)
        return _failed(f"GPAI duties need {names}: fill in the {FIELD_LABELS[missing[0]]}.", f"field:{missing[0]}")
    return _passed("GPAI duties documented.")


def _artifact_check(kind: str, label: str):
    def evaluate(product) -> Outcome:
        if not _is_high(_details(product)):
            return _passed(f"A {label} is required for high-risk records only.")
        if _has_artifact(product, kind):
            return _passed(f"A {label} is attached.")
        return _failed(f"High-risk records need a {label}: upload one on the Artifacts tab with kind "
                       f"“{label}”.", "artifacts")
    return evaluate


def evaluate_checksum(product) -> Outcome:
    from modelrepo.models import Artifact

    current = Artifact.objects.active().filter(product=product, is_current=True).first()
    if current is None:
        return _failed("No current artifact: upload one and make it current.", "artifacts")
    if current.integrity == "verified":
        return _passed(f"{current.file_name}: checksum verified.")
    state = current.get_integrity_display().lower() if current.integrity else "not verified yet"
    return _failed(f"{current.file_name}: checksum {state}. Verify the current version or re-upload the file.",
                   "artifacts")


def evaluate_owner(product) -> Outcome:
    if ProductRole.objects.filter(product=product, role=ProductRoleName.OWNER).exists():
        return _passed("An owner is assigned.")
    return _failed("Nobody owns this product: assign an owner on the Governance tab.", "roles")


def evaluate_steward(product) -> Outcome:
    if not _is_high(_details(product)):
        return _passed("A steward is required for high-risk records only.")
    if ProductRole.objects.filter(product=product, role=ProductRoleName.STEWARD).exists():
        return _passed("A steward is assigned.")
    return _failed("High-risk records need at least one steward: assign one on the Governance tab.", "roles")


EVALUATORS = {
    QualityCheckType.DOCUMENTATION: evaluate_documentation,
    QualityCheckType.GPAI_DUTIES: evaluate_gpai_duties,
    QualityCheckType.MODEL_CARD: _artifact_check("model_card", "model card"),
    QualityCheckType.EVAL_REPORT: _artifact_check("eval_report", "evaluation report"),
    QualityCheckType.CHECKSUM: evaluate_checksum,
    QualityCheckType.OWNER: evaluate_owner,
    QualityCheckType.STEWARD: evaluate_steward,
}


def builtin_types(product) -> tuple:
    if product.product_type in AI_PRODUCT_TYPES:
        return tuple(BUILTIN_CHECKS)
    return DATA_PRODUCT_CHECKS


def ensure_builtin_checks(product) -> None:
    existing = set(QualityCheck.objects.filter(product=product).values_list("check_type", flat=True))
    for check_type in builtin_types(product):
        if check_type in existing:
            continue
        severity, description = BUILTIN_CHECKS[check_type]
        try:
            with transaction.atomic():
                QualityCheck.objects.create(product=product, check_type=check_type, name=check_type.label,
                                            severity=severity, description=description)
        except IntegrityError:  # created by a concurrent run, or a custom check took the name
            pass


# --- writes ------------------------------------------------------------------------------

def _require_edit(actor, product, what: str) -> None:
    if not access.can(actor, access.VIEW, product):
        raise NotFound("No product with this id exists, or you cannot see it.")
    if not access.can(actor, access.EDIT, product):
        raise PermissionDenied(f"{what} needs edit access on {product.name}; ask a space admin or its owner.")


def _append(check: QualityCheck, outcome: Outcome, now) -> QualityResult:
    result = QualityResult.objects.create(check_ref=check, status=outcome.status, value=outcome.value,
                                          message=outcome.message, fix=outcome.fix, executed_at=now)
    QualityCheck.objects.filter(pk=check.pk).update(last_status=outcome.status, last_executed_at=now)
    check.last_status, check.last_executed_at = outcome.status, now
    return result


def checks_run(*, product: Product) -> list[QualityResult]:
    """Evaluate every enabled built-in check of ``product`` once; one new result each. Safe to
    run twice (it only appends history)."""
    ensure_builtin_checks(product)
    now = timezone.now()
    results = []
    with transaction.atomic():
        for check in QualityCheck.objects.filter(product=product, enabled=True).exclude(
                check_type=QualityCheckType.CUSTOM):
            try:
                outcome = EVALUATORS[check.check_type](product)
            except Exception as exc:  # a broken evaluator records an error result, never blocks the others
                outcome = Outcome(QualityStatus.ERROR, f"The check could not run: {exc}")
            results.append(_append(check, outcome, now))
    return results


def checks_run_on_demand(*, actor, product: Product) -> list[QualityResult]:
    _require_edit(actor, product, "Running the quality checks")
    return checks_run(product=product)


def custom_check_create(*, actor, product: Product, name: str, severity: str = QualitySeverity.ERROR,
                        description: str = "", enabled: bool = True) -> QualityCheck:
    _require_edit(actor, product, "Adding a quality check")
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("Give the check a name.", details={"name": ["This field is required."]})
    if severity not in QualitySeverity.values:
        raise ValidationFailed("Unknown severity.", details={"severity": [
            f"Choose one of: {', '.join(QualitySeverity.values)}."]})
    with transaction.atomic():
        if QualityCheck.objects.filter(product=product, name=name).exists():
            raise ValidationFailed(f"{product.name} already has a check named {name}.", code="duplicate",
                                   details={"name": ["A check with this name exists already."]})
        check = QualityCheck.objects.create(product=product, name=name, severity=severity, description=description,
                                            enabled=enabled, created_by=actor)
        audit.record(actor=actor, action="quality.check_created", target=product,
                     changes={"check": {"old": None, "new": name}, "severity": {"old": None, "new": severity}})
    return check


def result_post(*, actor, check: QualityCheck, status: str, value=None, message: str = "") -> QualityResult:
    """A result reported by automation for a custom (or built-in) check."""
    _require_edit(actor, check.product, "Posting a quality result")
    if status not in QualityStatus.values:
        raise ValidationFailed(f"Unknown status {status!r}.", details={"status": [
            f"Choose one of: {', '.join(QualityStatus.values)}."]})
    with transaction.atomic():
        return _append(check, Outcome(status, message or "", value=value), timezone.now())


# --- reads -------------------------------------------------------------------------------

def check_list(*, product: Product) -> QuerySet:
    return QualityCheck.objects.filter(product=product).order_by("check_type", "name")


def check_for(*, user, check_id) -> QualityCheck:
    """A check on a product ``user`` may view, or NotFound (also for a malformed id)."""
    visible = access.restrict(Product.objects.all(), user)
    try:
        return QualityCheck.objects.select_related("product__space").get(pk=check_id, product__in=visible)
    except (QualityCheck.DoesNotExist, ValueError, DjangoValidationError):
        raise NotFound("No quality check with this id exists, or you cannot see it.") from None


def result_list(*, check: QualityCheck) -> QuerySet:
    return check.results.order_by("-executed_at", "-id")






def failing_checks(product: Product) -> list[dict]:
    """The enabled checks whose newest result did not pass, with their newest result and the
    link to what to do, most severe first."""
    order = {QualitySeverity.CRITICAL: 0, QualitySeverity.ERROR: 1, QualitySeverity.WARNING: 2}
    rows = []
    for check in QualityCheck.objects.filter(product=product, enabled=True).exclude(
            last_status__in=["", QualityStatus.PASSED]):
        latest = check.results.order_by("-executed_at", "-id").first()
        rows.append({"check": check, "result": latest, "fix_url": fix_url(product, latest.fix if latest else "")})
    rows.sort(key=lambda r: (order.get(r["check"].severity, 3), r["check"].name))
    return rows


def fix_url(product: Product, fix: str) -> str:
    """Where to go to fix a failure: the record's edit form at the field, the Artifacts tab or
    the roles form on the Governance tab."""
    if product.product_type not in AI_PRODUCT_TYPES or not fix:
        return ""
    if fix.startswith("field:"):
        field = fix.split(":", 1)[1]
        return reverse("modelrepo:model_edit", kwargs={"product_id": product.pk}) + f"#id_{field}"
    tab = {"artifacts": "artifacts", "roles": "governance"}.get(fix)
    if not tab:
        return ""
    anchor = "#role-username" if fix == "roles" else ""
    return reverse("modelrepo:model_tab", kwargs={"product_id": product.pk, "tab": tab}) + anchor


def trend(check: QualityCheck, limit: int = 20) -> list[QualityResult]:
    """The newest ``limit`` results, oldest first, for the small trend chart."""
    return list(reversed(result_list(check=check)[:limit]))




def run_all(batch_size: int = 200) -> int:
    """Run the built-in checks of every non-archived product, in batches; returns how many
    products ran. Overlapping runs only append more history."""
    count = 0
    ids = list(Product.objects.filter(is_archived=False).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), batch_size):
        for product in Product.objects.filter(pk__in=ids[start:start + batch_size]):
            checks_run(product=product)
            count += 1
    return count


# --- after each relevant change ----------------------------------------------------------

# Audited actions after which a built-in check may come out differently: the record's fields,
# its artifacts (kinds, current pointer, integrity), its current version and its roles.
# Running the checks records no audit event, so a run never schedules another.
CHECKED_ACTIONS = frozenset({
    "product.created", "model_record.created", "data_product.created", "model_record.updated",
    "artifact.uploaded", "artifact.registered", "artifact.made_current", "artifact.deleted",
    "artifact.integrity_changed",
    "version.made_current", "version.rolled_back", "version.released",
    "product_role.assigned", "product_role.removed", "product_role.set",
})


class _ChecksAfterCommit:
    """The on-commit callback that starts one product's checks. Every relevant write
    registers one, but the callbacks of one product pending in one transaction share a
    ``started`` flag, so the commit starts a single run whichever of them survive savepoint
    rollbacks."""

    def __init__(self, product_id, started: list):
        self.product_id = product_id
        self.started = started

    def __call__(self):
        if self.started:
            return
        self.started.append(True)
        from governance import tasks

        try:
            # No publish retries: with the broker down the write answers at once; the periodic run catches up.
            tasks.run_product_quality_checks.apply_async((self.product_id,), retry=False)
        except Exception:  # noqa: BLE001 - a broker outage never fails the write; the periodic run catches up
            log.exception("Could not start the quality checks of product %s", self.product_id)


def _product_id_of(target):
    if isinstance(target, Product):
        return target.pk
    return getattr(target, "product_id", None)


def schedule_after(*, action: str, target) -> None:
    """Run the checks of ``target``'s product once the current transaction commits, if
    ``action`` can change their outcome; at most one run per product per transaction."""
    if action not in CHECKED_ACTIONS:
        return
    product_id = _product_id_of(target)
    if product_id is None:
        return
    product_id = str(product_id)
    # What is still in this list will run at commit (a rolled-back savepoint's callbacks are
    # gone), so a pending callback of the same product lends its flag.
    pending = (callback for _, callback, *_ in transaction.get_connection().run_on_commit)
    started = next((c.started for c in pending if isinstance(c, _ChecksAfterCommit)
                    and c.product_id == product_id and not c.started), [])
    transaction.on_commit(_ChecksAfterCommit(product_id, started))
