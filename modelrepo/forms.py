"""Shape validation for the model record pages; the services enforce the domain rules."""

import json

from django import forms
from django.db import models
from django.forms.fields import InvalidJSONInput

from catalog.choices import AI_PRODUCT_TYPES
from catalog.forms import ServiceFormMixin
from catalog.models import Product
from modelrepo.models import FIELD_GROUPS, ModelDetails

CATALOG_GROUP = "Catalog"
PRODUCT_FORM_FIELDS = (
    "name",
    "slug",
    "product_type",
    "description",
    "documentation",
    "provider",
    "hosting_location",
    "criticality",
    "sensitivity",
)

# Labels the UI shows where the model's verbose name reads badly (acronyms, units).
FIELD_LABELS = {
    "product_type": "Product type",
    "hosting_location": "Hosting location",
    "task_type": "Task type",
    "model_family": "Model family",
    "intended_use": "Intended use",
    "lifecycle_stage": "Lifecycle stage",
    "deployment_status": "Deployment status",
    "serving_url": "Serving URL",
    "risk_classification": "Risk classification (EU AI Act)",
    "risk_rationale": "Risk rationale",
    "operator_role": "Operator role",
    "ai_system_type": "AI system type",
    "is_gpai": "General-purpose AI model (GPAI)",
    "gpai_tier": "GPAI tier",
    "training_compute_flops": "Training compute (FLOP)",
    "training_data_summary": "Training data summary",
    "copyright_policy_url": "Copyright policy URL",
    "acceptable_use_policy_url": "Acceptable use policy URL",
    "downstream_obligations_doc": "Downstream obligations",
    "open_source_license": "Open-source licence",
    "input_schema": "Input schema",
    "output_schema": "Output schema",
    "vendor_product": "Vendor product",
    "vendor_model_id": "Vendor model ID",
    "deployment_environment": "Deployment environment",
    "business_use_case": "Business use case",
}

HELP_TEXTS = {
    "slug": "Lowercase letters, digits and hyphens. Left empty, it is derived from the name.",
    "documentation": "Markdown. Shown on the record's overview.",
    "tags": "Comma-separated, for example: churn, crm.",
    "training_compute_flops": "Total training compute, for example 1e25.",
    "gpai_tier": "Systemic risk is presumed above 10^25 training FLOP.",
    "input_schema": 'A JSON object, for example {"type": "object"}.',
    "output_schema": 'A JSON object, for example {"type": "object"}.',
}

TEXTAREA_ROWS = {"documentation": 8, "input_schema": 5, "output_schema": 5}


def field_label(model, name: str) -> str:
    if name in FIELD_LABELS:
        return FIELD_LABELS[name]
    return str(model._meta.get_field(name).verbose_name).capitalize()


class JSONObjectField(forms.JSONField):
    """JSON that must be an object; shown indented, and empty means no value."""

    def validate(self, value):
        super().validate(value)
        if value is not None and not isinstance(value, dict):
            raise forms.ValidationError('Enter a JSON object, such as {"type": "object"}.', code="not_an_object")

    def prepare_value(self, value):
        if isinstance(value, InvalidJSONInput):
            return value
        if value is None:
            return ""
        return json.dumps(value, ensure_ascii=False, indent=2, cls=self.encoder)


def _formfield(model, name: str) -> forms.Field:
    model_field = model._meta.get_field(name)
    if name in ("input_schema", "output_schema"):
        field = JSONObjectField(required=False)
    elif isinstance(model_field, models.URLField):
        field = model_field.formfield(assume_scheme="https")
    else:
        field = model_field.formfield()
    field.label = field_label(model, name)
    field.help_text = HELP_TEXTS.get(name, "")
    return field


def _style(field: forms.Field, name: str) -> None:
    widget = field.widget
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, forms.Select):
        css = "form-select"
    else:
        css = "form-control"
    if isinstance(widget, forms.Textarea):
        widget.attrs["rows"] = TEXTAREA_ROWS.get(name, 3)
        if name in ("input_schema", "output_schema"):
            css += " font-monospace"
    widget.attrs["class"] = css


class ModelRecordForm(ServiceFormMixin, forms.Form):
    """Every product and model-details field of a record, laid out in the DOMAIN groups."""

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        for name in PRODUCT_FORM_FIELDS:
            self.fields[name] = _formfield(Product, name)
        self.fields["slug"].required = editing
        self.fields["product_type"].choices = [(t.value, t.label) for t in AI_PRODUCT_TYPES]
        self.fields["tags"] = forms.CharField(required=False, max_length=2000, label="Tags", help_text=HELP_TEXTS["tags"])
        if editing:
            self.fields["is_archived"] = forms.BooleanField(
                required=False, label="Archived", help_text="Archived records leave the default lists and the space limit."
            )
        for group in FIELD_GROUPS.values():
            for name in group:
                self.fields[name] = _formfield(ModelDetails, name)
        for name, field in self.fields.items():
            _style(field, name)

    @property
    def catalog_field_names(self) -> list[str]:
        names = [*PRODUCT_FORM_FIELDS, "tags"]
        return [*names, "is_archived"] if self.editing else names

    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        groups = [(CATALOG_GROUP, [self[name] for name in self.catalog_field_names])]
        groups += [(title, [self[name] for name in names]) for title, names in FIELD_GROUPS.items()]
        return groups

    def clean_tags(self) -> list[str]:
        return [part.strip() for part in self.cleaned_data["tags"].split(",") if part.strip()]

    def record_data(self, *, only_changed: bool = False) -> tuple[dict, list[str] | None]:
        """(fields for the service, tags or None when they are left alone)."""
        names = [n for n in self.fields if n != "tags"]
        if only_changed:
            names = [n for n in names if n in self.changed_data]
        data = {name: self.cleaned_data[name] for name in names}
        if not data.get("slug"):
            data.pop("slug", None)
        tags = self.cleaned_data["tags"]
        if only_changed and "tags" not in self.changed_data:
            tags = None
        return data, tags


def record_initial(product: Product, details: ModelDetails | None) -> dict:
    initial = {name: getattr(product, name) for name in (*PRODUCT_FORM_FIELDS, "is_archived")}
    initial["tags"] = ", ".join(sorted(tag.name for tag in product.tags.all()))
    details = details or ModelDetails()
    for group in FIELD_GROUPS.values():
        for name in group:
            initial[name] = getattr(details, name)
    return initial
