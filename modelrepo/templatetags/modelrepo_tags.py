"""Presentation helpers for model records: badges, sortable headers, filter checkboxes, the
overview's field groups, the record's tab bar and the breadcrumb trail of every page."""

import json
from typing import NamedTuple

from django import template
from django.urls import reverse
from django.utils.html import format_html

from catalog.models import Organization, Product, Space
from modelrepo.choices import DeploymentStatus, LifecycleStage, ModelFamily, RiskClassification, TaskType
from modelrepo.forms import CATALOG_GROUP, field_label
from modelrepo.models import FIELD_GROUPS, ModelDetails, TrainingRun
from modelrepo.tabs import RECORD_TABS, record_tab

register = template.Library()

RISK_BADGES = {
    RiskClassification.UNACCEPTABLE: "text-bg-dark",
    RiskClassification.HIGH: "text-bg-danger",
    RiskClassification.LIMITED: "text-bg-warning",
    RiskClassification.MINIMAL: "text-bg-success",
    RiskClassification.UNCLASSIFIED: "text-bg-secondary",
}
DEPLOYMENT_BADGES = {
    DeploymentStatus.DEVELOPMENT: "text-bg-info",
    DeploymentStatus.STAGING: "text-bg-warning",
    DeploymentStatus.PRODUCTION: "text-bg-success",
    DeploymentStatus.RETIRED: "text-bg-secondary",
}
LABELS = {
    "model_family": dict(ModelFamily.choices),
    "deployment_status": dict(DeploymentStatus.choices),
    "risk_classification": dict(RiskClassification.choices),
    "task_type": dict(TaskType.choices),
    "lifecycle_stage": dict(LifecycleStage.choices),
}
SUMMARY_BADGES = {"deployment_status": DEPLOYMENT_BADGES, "risk_classification": RISK_BADGES}
SUMMARY_COLUMNS = (("By family", "model_family"), ("By deployment status", "deployment_status"),
                   ("By risk", "risk_classification"))
# The description leads the overview, above the groups.
CATALOG_DISPLAY_FIELDS = ("product_type", "slug", "provider", "hosting_location", "criticality", "sensitivity")
URL_SCHEMES = ("http://", "https://")


def _badge(field: str, code, prefix: str):
    """The badge of a stored code of ``field`` (one of SUMMARY_BADGES), empty when unset."""
    if not code:
        return ""
    css = SUMMARY_BADGES[field].get(code, "text-bg-secondary")
    return format_html('<span class="badge {} {}">{}</span>', css, prefix, LABELS[field].get(code, code))


@register.simple_tag
def risk_badge(code):
    return _badge("risk_classification", code, "badge-risk")


@register.simple_tag
def deployment_badge(code):
    return _badge("deployment_status", code, "badge-deployment")


@register.filter
def choice_label(code, field):
    """The label of a stored code, for the fields the list pages show."""
    return LABELS.get(field, {}).get(code, code)


def summary_items(summary, field):
    """[(label, code, count, badge css)] of one summary dimension, largest first."""
    counts = summary.get(field, {})
    badges = SUMMARY_BADGES.get(field, {})
    items = [(LABELS[field].get(code, code or "Not set"), code, n, badges.get(code, "text-bg-light"))
             for code, n in counts.items()]
    return sorted(items, key=lambda item: (-item[2], item[0]))


@register.simple_tag
def summary_columns(summary):
    """[(title, items, badged)]: the summary's dimensions in the order the list pages show them."""
    return [(title, summary_items(summary, field), field in SUMMARY_BADGES) for title, field in SUMMARY_COLUMNS]


@register.inclusion_tag("modelrepo/includes/sort_header.html", takes_context=True)
def sort_header(context, field, label):
    """A column header that orders the list by ``field`` and flips direction on a second click;
    the filters stay, the page goes back to the first."""
    request = context["request"]
    current = request.GET.get("ordering") or "name"
    if current == field:
        direction, next_ordering = "ascending", f"-{field}"
    elif current == f"-{field}":
        direction, next_ordering = "descending", field
    else:
        direction, next_ordering = "none", field
    params = request.GET.copy()
    params["ordering"] = next_ordering
    params.pop("page", None)
    return {"label": label, "query": params.urlencode(), "direction": direction}


@register.inclusion_tag("modelrepo/includes/checkbox_group.html")
def checkbox_group(form, name, choices=None, label=None):
    """A filter as a group of checkboxes submitting repeated parameters; comma-separated
    values from a shared link tick the right boxes too."""
    field = form.fields[name]
    selected = {part.strip() for value in form.data.getlist(name) for part in str(value).split(",")}
    choices = choices if choices is not None else field.choices
    options = [(value, text, value in selected) for value, text in choices]
    return {"name": name, "label": label or field.label, "options": options,
            "active": sum(1 for option in options if option[2])}


def _display(model, obj, name) -> dict:
    field = model._meta.get_field(name)
    value = getattr(obj, name) if obj is not None else None
    row = {"name": name, "label": field_label(model, name), "value": value, "kind": "text"}
    if field.choices and value:
        row["value"] = getattr(obj, f"get_{name}_display")()
        if name in ("risk_classification", "deployment_status"):
            row["kind"] = name
            row["code"] = value
    elif isinstance(value, bool):
        row["kind"] = "bool"
    elif name in ("input_schema", "output_schema"):
        row["kind"] = "json" if value is not None else "empty"
    elif name.endswith("_url") and value:
        row["kind"] = "url" if str(value).startswith(URL_SCHEMES) else "text"
    elif name == "training_compute_flops" and value is not None:
        row["value"] = f"{value:.3g}"
    if value in (None, "") and row["kind"] != "bool":
        row["kind"] = "empty"
    return row


@register.simple_tag
def record_groups(product, details):
    """The overview's metadata: the catalog fields, then each model-details group of DOMAIN.md."""
    groups = [(CATALOG_GROUP, [_display(Product, product, name) for name in CATALOG_DISPLAY_FIELDS])]
    for title, names in FIELD_GROUPS.items():
        groups.append((title, [_display(ModelDetails, details, name) for name in names]))
    return groups


@register.filter
def pretty_json(value):
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


@register.inclusion_tag("modelrepo/includes/record_tabs.html")
def record_tab_bar(product, active):
    """The tab bar of a record's page, ``active`` (a tab key) marked as the current page."""
    return {"tabs": [(tab, tab.url(product), tab.key == active) for tab in RECORD_TABS]}


class Crumb(NamedTuple):
    label: str
    url: str | None = None


CRUMB_URLS = (
    (Organization, "modelrepo:org_model_list", lambda o: {"org_slug": o.slug}),
    (Space, "modelrepo:space_model_list", lambda s: {"space_slug": s.slug}),
    (Product, "modelrepo:model_detail", lambda p: {"product_id": p.pk}),
    (TrainingRun, "modelrepo:run_detail", lambda r: {"product_id": r.product_id, "run_id": r.pk}),
)


def _crumb(item) -> Crumb:
    if isinstance(item, Crumb):
        return item
    for model, url_name, kwargs in CRUMB_URLS:
        if isinstance(item, model):
            return Crumb(item.name, reverse(url_name, kwargs=kwargs(item)))
    return Crumb(str(item))


@register.inclusion_tag("includes/breadcrumbs.html")
def breadcrumbs(*trail):
    """The breadcrumb trail of a page. An organization, space, record or training run links to
    its page, ``label|link_to:url`` to that address, ``record|tab_link:key`` to a record's tab;
    text is shown as it is, and text last in the trail names the page itself; nothing (None or
    an empty string) is left out."""
    return {"crumbs": [_crumb(item) for item in trail if item not in (None, "")]}


@register.filter
def link_to(label, url):
    return Crumb(str(label), url)


@register.filter
def tab_link(product, key):
    tab = record_tab(key)
    return Crumb(tab.label, tab.url(product))
