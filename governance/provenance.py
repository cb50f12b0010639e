"""The provenance of one model version: the answers to an auditor's questions in one read.

Which training run and data produced it (the run's datasets and the record's direct upstream
lineage), which code, who approved its release and its moves to current and to production
(applied change requests with their reviews), who released it and when (the version and the
audit log), its signature, its current-version history, and what changed since the version
created before it. Read-only; the caller has looked the record up through
``selectors.model_record_get``, so ``user`` may view ``product``.

The query count does not grow with the number of artifacts, datasets, edges, change requests
or history rows: each part is one query (two with a prefetch)."""

from django.db.models import Prefetch, Q
from django.urls import reverse

from catalog import audit
from catalog.lineage import product_url
from catalog.models import LineageEdge, Product
from governance.models import ChangeRequest, ChangeRequestStatus, ChangeReview
from modelrepo import compare, selectors, signing, training
from modelrepo.choices import Integrity, UploadStatus
from modelrepo.models import CurrentVersionChange, ModelVersion, TrainingRun

# Change-request fields whose new value names a version by id, and what approving them means.
VERSION_FIELDS = {"release_version": "release", "current_version": "current"}
PRODUCTION = ("deployment_status", "production")
APPROVAL_LABELS = {
    "release": "its release",
    "current": "making it the current version",
    "production": "moving the record to production while it was current",
}
VERSION_EVENTS = ("version.released", "version.deprecated", "version.yanked")
# Comparison rows that differ between any two versions, so they say nothing about a change.
ALWAYS_DIFFERENT = ("label", "created_at", "created_by", "is_current", "released_at")


def version_provenance(*, user, product: Product, version: ModelVersion) -> dict:
    """Everything the version page and the provenance endpoint show, as plain data (model
    instances where the API has a serializer for them)."""
    current_id = selectors.current_version_id(product)
    history = list(
        CurrentVersionChange.objects.filter(product=product).filter(Q(from_version=version) | Q(to_version=version))
        .order_by("created_at", "id")
    )
    artifacts = list(selectors.artifact_list(product=product, version_id=version.pk).order_by("file_name", "id"))
    events = _version_events(product, version)
    previous, following = _neighbours(product, version)
    return {
        "version": version,
        "is_current": version.pk == current_id,
        "current_version_id": current_id,
        "artifacts": artifacts,
        "source": {"git_tag": version.git_tag, "commit_sha": version.commit_sha},
        "training_run": _training_run(user, product, version),
        "upstream": upstream_products(user=user, product=product),
        "change_requests": _approving_change_requests(product, version, history),
        "release": _release(version, events),
        "deprecation": _flag(version.deprecated, version.deprecation_reason, events.get("version.deprecated")),
        "yank": _flag(version.yanked, version.yank_reason, events.get("version.yanked")),
        "signature": _signature(product, version, artifacts),
        "current_version_history": history[::-1],
        "previous_version": _reference(product, previous),
        "next_version": _reference(product, following),
        "comparison": _comparison(product, previous, version),
    }


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


# --- Training and lineage ----------------------------------------------------------------

def _training_run(user, product: Product, version: ModelVersion) -> dict | None:
    if version.training_run_id is None:
        return None
    run = TrainingRun.objects.filter(pk=version.training_run_id).prefetch_related("dataset_products").first()
    if run is None:
        return None
    datasets = training.dataset_products_of([run], user)[run.pk]
    linked = {p.pk: p for p in run.dataset_products.all()}
    for item in datasets:
        item["url"] = product_url(linked[item["id"]]) if not item["redacted"] else None
    ids = {"product_id": product.pk, "run_id": run.pk}
    return {
        "id": run.pk, "name": run.name, "started_at": run.started_at, "ended_at": run.ended_at,
        "code_repository": run.code_repository, "code_commit": run.code_commit,
        "dataset_products": datasets, "dataset_uris": list(run.dataset_uris or []),
        "url": reverse("modelrepo:run_detail", kwargs=ids),
        "api_url": reverse("modelrepo-api:training_run", kwargs=ids),
    }


def upstream_products(*, user, product: Product) -> list[dict]:
    """The record's direct sources, as nodes of ``catalog.lineage.lineage_graph`` at level -1:
    a product ``user`` cannot see is a placeholder with no id, name, type or space, listed
    after the visible ones (sorted by name)."""
    edges = list(LineageEdge.objects.filter(downstream=product).select_related("upstream__space"))
    visible = training.visible_product_ids(user, {edge.upstream_id for edge in edges})
    shown = sorted((edge.upstream for edge in edges if edge.upstream_id in visible), key=lambda p: p.name.lower())
    nodes = [{
        "key": str(p.pk), "id": str(p.pk), "redacted": False, "level": -1, "name": p.name,
        "product_type": p.product_type, "product_type_label": p.get_product_type_display(),
        "space": p.space.slug, "url": product_url(p),
    } for p in shown]
    hidden = sum(1 for edge in edges if edge.upstream_id not in visible)
    nodes += [{"key": f"redacted-{n}", "id": None, "redacted": True, "level": -1, "name": None, "product_type": None,
               "product_type_label": None, "space": None, "url": None} for n in range(1, hidden + 1)]
    return nodes


# --- Approvals ---------------------------------------------------------------------------

def _current_spans(version: ModelVersion, history: list) -> list[tuple]:
    """``(from, until)`` times during which ``version`` was the current version (``until`` is
    None while it still is), from the pointer history rows that name it, oldest first."""
    spans, start = [], None
    for row in history:
        if row.from_version_id == version.pk and start is not None:
            spans.append((start, row.created_at))
            start = None
        if row.to_version_id == version.pk:
            start = row.created_at
    if start is not None:
        spans.append((start, None))
    return spans


def _approves(change: dict, version: ModelVersion, applied_at, spans) -> str | None:
    """What ``change`` (one ``{field, old_value, new_value}`` of an applied request) approved
    for ``version``: ``release``, ``current``, ``production``, or None."""
    if not isinstance(change, dict):
        return None
    field, new_value = change.get("field"), change.get("new_value")
    if field in VERSION_FIELDS and str(new_value) == str(version.pk):
        return VERSION_FIELDS[field]
    if (field, new_value) == PRODUCTION and applied_at is not None:
        if any(start <= applied_at and (until is None or applied_at < until) for start, until in spans):
            return "production"
    return None


def _approving_change_requests(product: Product, version: ModelVersion, history: list) -> list[dict]:
    """Applied change requests of ``product`` that released ``version``, made it current, or
    moved the record to production while it was current; oldest first, with their reviews."""
    spans = _current_spans(version, history)
    requests = (
        ChangeRequest.objects.filter(product=product, status=ChangeRequestStatus.APPLIED)
        .select_related("requester", "applied_by")
        .prefetch_related(Prefetch("reviews", queryset=ChangeReview.objects.select_related("reviewer")
                                   .order_by("created_at", "id")))
        .order_by("applied_at", "created_at")
    )
    rows = []
    for change_request in requests:
        approved = []
        for change in change_request.changes or []:
            what = _approves(change, version, change_request.applied_at, spans)
            if what is not None:
                approved.append({**change, "approves": what, "approves_label": APPROVAL_LABELS[what]})
        if not approved:
            continue
        ids = {"change_request_id": change_request.pk}
        rows.append({
            "id": change_request.pk, "title": change_request.title,
            "requester": _username(change_request.requester), "applied_by": _username(change_request.applied_by),
            "applied_at": change_request.applied_at, "approved": approved,
            "approves": sorted({item["approves"] for item in approved}, key=list(APPROVAL_LABELS).index),
            "reviews": list(change_request.reviews.all()),
            "url": reverse("governance:change_request_detail", kwargs=ids),
            "api_url": reverse("governance-api:change_request", kwargs=ids),
        })
    return rows


# --- Release, flags and signature --------------------------------------------------------

def _version_events(product: Product, version: ModelVersion) -> dict:
    """The newest release, deprecation and yank event of ``version`` (by action). Audit events
    name a version by label; a released version's label can no longer change, and labels are
    unique in a record, so the label names this version."""
    events = {}
    found = audit.product_events(product).filter(action__in=VERSION_EVENTS, changes__version__new=version.label)
    for event in found.order_by("-created_at", "-sequence"):
        events.setdefault(event.action, event)
    return events


def _event(event) -> dict | None:
    if event is None:
        return None
    return {"id": event.pk, "sequence": event.sequence, "actor": event.actor_name, "created_at": event.created_at}


def _release(version: ModelVersion, events: dict) -> dict:
    return {
        "released": version.is_released, "released_at": version.released_at,
        "released_by": version.releaser,
        "release_date": version.release_date, "event": _event(events.get("version.released")),
    }


def _flag(is_set: bool, reason: str, event) -> dict:
    return {"flagged": is_set, "reason": reason if is_set else "", "event": _event(event) if is_set else None}


def _signature(product: Product, version: ModelVersion, artifacts: list) -> dict:
    """Whether the release is signed, by which key (and whether this server still trusts it),
    and the stored integrity checks of its files (the scrubbing task's last result; the
    on-demand verification is not stored)."""
    stored = [a for a in artifacts if a.upload_status == UploadStatus.COMPLETED]
    checked = [a.last_verified_at for a in stored if a.last_verified_at is not None]
    integrity = {
        "file_count": len(stored),
        "verified": sum(1 for a in stored if a.integrity == Integrity.VERIFIED),
        "corrupted": sum(1 for a in stored if a.integrity == Integrity.CORRUPTED),
        "missing": sum(1 for a in stored if a.integrity == Integrity.MISSING),
        "unchecked": sum(1 for a in stored if not a.integrity),
        "last_checked_at": max(checked) if checked else None,
    }
    result = {
        "signed": bool(version.signature), "key_id": version.signature_key_id or None, "signed_at": version.signed_at,
        "key_is_current": False, "key_is_trusted": False, "url": None,
        "public_key_url": reverse("modelrepo-api:signing_public_key"), "integrity": integrity,
    }
    if version.signature:
        result.update(
            key_is_current=version.signature_key_id == signing.current_key_id(),
            key_is_trusted=version.signature_key_id in signing.trusted_public_keys(),
            url=reverse("modelrepo-api:version_signature",
                        kwargs={"product_id": product.pk, "version_id": version.pk}),
        )
    return result


# --- Neighbours and comparison -----------------------------------------------------------

def _neighbours(product: Product, version: ModelVersion) -> tuple:
    """The versions created just before and just after ``version`` (creation order)."""
    versions = selectors.version_list(product=product).select_related("training_run")
    before = Q(created_at__lt=version.created_at) | Q(created_at=version.created_at, id__lt=version.pk)
    after = Q(created_at__gt=version.created_at) | Q(created_at=version.created_at, id__gt=version.pk)
    return (versions.filter(before).order_by("-created_at", "-id").first(),
            versions.filter(after).order_by("created_at", "id").first())


def _reference(product: Product, version: ModelVersion | None) -> dict | None:
    if version is None:
        return None
    return {"id": version.pk, "label": version.label,
            "url": reverse("governance:version_detail", kwargs={"product_id": product.pk, "version_id": version.pk})}


def _comparison(product: Product, previous: ModelVersion | None, version: ModelVersion) -> dict | None:
    """Links to the comparison with the previous version and a summary of what differs."""
    if previous is None:
        return None
    full = compare.version_comparison(product=product, a=previous, b=version)
    query = f"?a={previous.pk}&b={version.pk}"
    return {
        "url": reverse("modelrepo:version_compare", kwargs={"product_id": product.pk}) + query,
        "api_url": reverse("modelrepo-api:version_compare", kwargs={"product_id": product.pk}) + query,
        "changed_fields": [row["label"] for row in full["metadata"]
                           if row["changed"] and row["field"] not in ALWAYS_DIFFERENT],
        "metric_count": len(full["metrics"]),
        "changed_metric_count": full["changed_metric_count"],
        "artifact_counts": full["artifact_counts"],
        "same_training_run": full["training_runs"]["same_run"],
    }
