"""Side-by-side comparison of two versions of one record: metadata, metrics (with deltas),
artifacts matched by file name, and the training runs behind them. Read-only; the caller has
looked the record up through ``selectors.model_record_get``."""

import json
import math
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from catalog.models import Product
from common.errors import invalid
from modelrepo import selectors
from modelrepo.models import Artifact, ModelVersion

# (field, label) of the metadata rows, in display order.
METADATA_FIELDS = (
    ("label", "Label"),
    ("kind", "Kind"),
    ("status", "Status"),
    ("is_current", "Current"),
    ("release_date", "Release date"),
    ("git_tag", "Git tag"),
    ("commit_sha", "Commit"),
    ("training_run", "Training run"),
    ("created_by", "Created by"),
    ("created_at", "Created at"),
    ("released_at", "Released at"),
    ("deprecated", "Deprecated"),
    ("deprecation_reason", "Deprecation reason"),
    ("yanked", "Yanked"),
    ("yank_reason", "Yank reason"),
)
ARTIFACT_STATUSES = ("changed", "added", "removed", "unchanged")


def versions_to_compare(*, product: Product, a, b) -> tuple[ModelVersion, ModelVersion]:
    """Both versions of ``product``; a missing, malformed or foreign id is a validation error
    naming the parameter (``a`` or ``b``)."""
    errors, found = {}, {}
    for name, value in (("a", a), ("b", b)):
        if value in (None, ""):
            errors[name] = [f"Give the id of a version of this record as `{name}`."]
            continue
        try:
            version_id = uuid.UUID(str(value))
        except ValueError:
            errors[name] = [f"“{str(value)[:40]}” is not a version id; give the id (a UUID) of a version of this record."]
            continue
        version = (
            selectors.version_list(product=product).select_related("training_run").filter(pk=version_id).first()
        )
        if version is None:
            errors[name] = ["No version with this id exists on this record."]
        else:
            found[name] = version
    if errors:
        raise invalid(errors)
    return found["a"], found["b"]


def default_pair(versions: list[ModelVersion], current_id) -> tuple[ModelVersion | None, ModelVersion | None]:
    """The pair a comparison page opens with: the current version (or the latest when there
    is none) as ``b`` and the version created just before it as ``a``. ``versions`` are in
    creation order."""
    if len(versions) < 2:
        return None, None
    index = next((i for i, v in enumerate(versions) if v.pk == current_id), len(versions) - 1)
    if index == 0:
        return versions[0], versions[1]
    return versions[index - 1], versions[index]


# --- Values ------------------------------------------------------------------------------

def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _decimal(value) -> Decimal:
    # The shortest repr of a float: 0.85 - 0.80 is 0.05, not 0.04999999999999993.
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _plain(number: Decimal):
    """A Decimal back as a JSON number: an int when whole and small enough, else a float;
    None when it does not fit a float (JSON has no infinity)."""
    if number == number.to_integral_value() and abs(number) < 2 ** 53:
        return int(number)
    return _finite_float(number)


def _finite_float(number: Decimal) -> float | None:
    value = float(number)
    return value if math.isfinite(value) else None


def format_signed(number: Decimal) -> str:
    """``+0.05``, ``-3``, ``0``; very large or small magnitudes in scientific notation."""
    number = number.normalize()
    plain = number == 0 or -12 <= number.adjusted() <= 15
    text = format(number, "f" if plain else "e")
    return f"+{text}" if number > 0 else text


def format_percent(fraction: Decimal) -> str:
    """A relative change as a signed percentage with at most two decimals."""
    percent = fraction * 100
    if abs(percent) < Decimal("1e15"):
        rounded = percent.quantize(Decimal("0.01"))
        if rounded == 0 and percent != 0:
            return ("+" if percent > 0 else "-") + "<0.01%"
        percent = rounded
    return format_signed(percent) + "%"


def show_value(value) -> str:
    """A JSON value as the page shows it: strings as they are, anything else as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def value_diff(name: str, a_present: bool, a, b_present: bool, b) -> dict:
    """One row of a metrics or hyperparameters comparison. For two numbers: ``delta`` (b − a)
    and ``relative_change`` (delta / |a|, null when a is 0), each also formatted for display."""
    row = {"name": name, "a": a if a_present else None, "b": b if b_present else None,
           "a_present": a_present, "b_present": b_present, "numeric": False,
           "a_display": show_value(a) if a_present else "", "b_display": show_value(b) if b_present else "",
           "delta": None, "relative_change": None, "delta_display": "", "relative_change_display": ""}
    if a_present and b_present and is_number(a) and is_number(b):
        da, db = _decimal(a), _decimal(b)
        delta = db - da
        row.update(numeric=True, delta=_plain(delta), delta_display=format_signed(delta), changed=delta != 0)
        if da != 0:
            relative = delta / abs(da)
            row["relative_change"] = _finite_float(relative)
            row["relative_change_display"] = format_percent(relative)
        return row
    row["changed"] = a_present != b_present or (a_present and b_present and not _same_json(a, b))
    return row


def _same_json(a, b) -> bool:
    # Compared as JSON text: in Python True == 1 and 1 == 1.0, but a metric that went from
    # true to 1 did change.
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def mapping_diff(a: dict | None, b: dict | None) -> list[dict]:
    """Rows for the union of keys of two JSON objects, sorted by key."""
    a, b = a or {}, b or {}
    keys = sorted(set(a) | set(b), key=lambda k: (str(k).lower(), str(k)))
    return [value_diff(str(k), k in a, a.get(k), k in b, b.get(k)) for k in keys]


# --- Parts of a comparison ---------------------------------------------------------------

def _metadata_value(version: ModelVersion, field: str, current_id):
    if field == "is_current":
        return version.pk == current_id
    if field == "training_run":
        return version.training_run.name if version.training_run_id else None
    if field in ("created_by", "released_by"):
        user = getattr(version, field)
        return user.get_username() if user is not None else None
    value = getattr(version, field)
    return value if value != "" else None


def _display(version: ModelVersion, field: str, value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if field == "kind":
        return version.get_kind_display()
    if field == "status":
        return version.get_status_display()
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def metadata_rows(a: ModelVersion, b: ModelVersion, current_id) -> list[dict]:
    rows = []
    for field, label in METADATA_FIELDS:
        va, vb = _metadata_value(a, field, current_id), _metadata_value(b, field, current_id)
        rows.append({
            "field": field, "label": label, "a": va, "b": vb,
            "a_display": _display(a, field, va), "b_display": _display(b, field, vb),
            "changed": va != vb,
        })
    return rows


def _artifact_side(artifact: Artifact | None) -> dict | None:
    if artifact is None:
        return None
    return {"id": artifact.pk, "sha256": artifact.sha256, "size_bytes": artifact.size_bytes, "kind": artifact.kind,
            "detected_format": artifact.detected_format}


def artifact_rows(a: ModelVersion, b: ModelVersion) -> list[dict]:
    """Active artifacts of both versions matched by file name (unique within a version):
    ``added`` (only in b), ``removed`` (only in a), ``changed`` (sha256 differs) or
    ``unchanged``. Sorted by file name."""
    artifacts = Artifact.objects.active().filter(version_id__in={a.pk, b.pk}).order_by("file_name", "created_at")
    in_a, in_b = {}, {}
    for artifact in artifacts:
        if artifact.version_id == a.pk:
            in_a[artifact.file_name] = artifact
        if artifact.version_id == b.pk:
            in_b[artifact.file_name] = artifact
    rows = []
    for name in sorted(set(in_a) | set(in_b), key=lambda n: (n.lower(), n)):
        fa, fb = in_a.get(name), in_b.get(name)
        if fa is None:
            status = "added"
        elif fb is None:
            status = "removed"
        else:
            status = "changed" if fa.sha256 != fb.sha256 else "unchanged"
        rows.append({"file_name": name, "status": status, "a": _artifact_side(fa), "b": _artifact_side(fb),
                     "size_delta": (fb.size_bytes - fa.size_bytes) if fa and fb else None})
    return rows


def _run_side(version: ModelVersion) -> dict | None:
    run = version.training_run
    if run is None:
        return None
    return {"id": run.pk, "name": run.name, "started_at": run.started_at, "ended_at": run.ended_at,
            "code_repository": run.code_repository, "code_commit": run.code_commit}


def training_run_comparison(a: ModelVersion, b: ModelVersion) -> dict:
    run_a, run_b = a.training_run, b.training_run
    return {
        "a": _run_side(a),
        "b": _run_side(b),
        "same_run": run_a is not None and run_b is not None and run_a.pk == run_b.pk,
        "hyperparameters": mapping_diff(run_a.hyperparameters if run_a else {}, run_b.hyperparameters if run_b else {}),
        "metrics": mapping_diff(run_a.metrics if run_a else {}, run_b.metrics if run_b else {}),
    }


def version_comparison(*, product: Product, a: ModelVersion, b: ModelVersion) -> dict:
    """Everything the comparison page and endpoint show, as plain data."""
    current_id = selectors.current_version_id(product)
    artifacts = artifact_rows(a, b)
    metrics = mapping_diff(a.metrics, b.metrics)
    return {
        "a": a,
        "b": b,
        "metadata": metadata_rows(a, b, current_id),
        "metrics": metrics,
        "artifacts": artifacts,
        "artifact_counts": {status: sum(1 for row in artifacts if row["status"] == status) for status in ARTIFACT_STATUSES},
        "training_runs": training_run_comparison(a, b),
        "changed_metric_count": sum(1 for row in metrics if row["changed"]),
    }
