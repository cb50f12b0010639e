"""Shape validation for the model record pages (records, versions, artifacts, training runs,
the comparison of two versions); the services enforce the domain rules."""

import json
from urllib.parse import unquote, urlsplit

from django import forms
from django.db import models
from django.forms.fields import InvalidJSONInput

from catalog.choices import AI_PRODUCT_TYPES
from catalog.forms import ServiceFormMixin
from catalog.models import Product
from catalog.services import PRODUCT_FIELDS
from common import json_input
from modelrepo import rules, training
from modelrepo.choices import ArtifactKind, VersionKind
from modelrepo.models import FIELD_GROUPS, ModelDetails

CATALOG_GROUP = "Catalog"
# The catalog's product fields, name first as a person fills them in; archiving is offered
# only when editing.
PRODUCT_FORM_FIELDS = ("name", "slug", *(n for n in PRODUCT_FIELDS if n not in ("name", "slug", "is_archived")))

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


class Sha256Field(forms.CharField):
    """A SHA-256 in any case, cleaned to its stored form (``modelrepo.rules``)."""

    def clean(self, value):
        value = rules.normalise_sha256(super().clean(value))
        if value is None:
            raise forms.ValidationError(rules.SHA256_MESSAGE, code="invalid")
        return value


class JSONObjectField(forms.JSONField):
    """JSON that must be an object; shown indented, and empty means no value."""

    sort_keys = False

    def __init__(self, *, example: str = '{"type": "object"}', **kwargs):
        self.example = example
        super().__init__(**kwargs)

    def to_python(self, value):
        try:
            return super().to_python(value)
        except RecursionError:  # nested deeper than Python's decoder can go
            raise forms.ValidationError(json_input.TOO_DEEP, code="too_deep") from None

    def bound_data(self, data, initial):
        try:
            return super().bound_data(data, initial)
        except RecursionError:  # shown again as typed
            return InvalidJSONInput(data)

    def validate(self, value):
        super().validate(value)
        if value is not None and not isinstance(value, dict):
            raise forms.ValidationError(f"Enter a JSON object, such as {self.example}.", code="not_an_object")
        problem = json_input.problem(value)
        if problem:
            raise forms.ValidationError(problem, code="unstorable_json")

    def prepare_value(self, value):
        if isinstance(value, InvalidJSONInput):
            return value
        if value is None:
            return ""
        return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=self.sort_keys, cls=self.encoder)


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


# --- Versions and artifacts ----------------------------------------------------------------

VERSION_HELP_TEXTS = {
    "label": "Free-form and unique in this record, for example 1.4.0.",
    "release_notes": "Markdown. Shown in the version list.",
    "commit_sha": "7 to 64 hexadecimal characters.",
    "metrics": 'A JSON object of metric names to values, for example {"f1": 0.91, "auc": 0.95}.',
}


def _style_all(form: forms.Form) -> None:
    for name, field in form.fields.items():
        _style(field, name)


class VersionForm(ServiceFormMixin, forms.Form):
    """The release fields of a version. ``training_runs`` are the record's runs to choose from."""

    service_field_names = {"training_run_id": "training_run"}
    label = forms.CharField(max_length=100, label="Label", help_text=VERSION_HELP_TEXTS["label"])
    kind = forms.ChoiceField(choices=VersionKind.choices, initial=VersionKind.RELEASE, label="Kind")
    release_date = forms.DateField(required=False, label="Release date",
                                   widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    git_tag = forms.CharField(required=False, max_length=200, label="Git tag")
    commit_sha = forms.CharField(required=False, max_length=64, label="Commit SHA", help_text=VERSION_HELP_TEXTS["commit_sha"])
    training_run = forms.ChoiceField(required=False, label="Training run")
    release_notes = forms.CharField(required=False, max_length=100_000, strip=False, label="Release notes",
                                    help_text=VERSION_HELP_TEXTS["release_notes"], widget=forms.Textarea(attrs={"rows": 8}))
    metrics = JSONObjectField(required=False, label="Metrics", help_text=VERSION_HELP_TEXTS["metrics"],
                              widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, training_runs=(), **kwargs):
        super().__init__(*args, **kwargs)
        runs = [(str(run.pk), run.name) for run in training_runs]
        if runs:
            self.fields["training_run"].choices = [("", "None"), *runs]
        else:
            del self.fields["training_run"]
        _style_all(self)
        self.fields["metrics"].widget.attrs["class"] += " font-monospace"

    def version_data(self, *, only_changed: bool = False) -> dict:
        """The fields for ``versions.version_create`` / ``version_update``."""
        names = [n for n in self.fields if not only_changed or n in self.changed_data]
        data = {}
        for name in names:
            value = self.cleaned_data[name]
            if name == "training_run":
                data["training_run_id"] = value or None
            elif name == "metrics":
                data["metrics"] = value if value is not None else {}
            else:
                data[name] = value
        return data


def version_initial(version) -> dict:
    return {
        "label": version.label, "kind": version.kind, "release_notes": version.release_notes,
        "release_date": version.release_date, "git_tag": version.git_tag, "commit_sha": version.commit_sha,
        "metrics": version.metrics or None, "training_run": str(version.training_run_id or ""),
    }


class ReasonForm(forms.Form):
    """Why the current pointer moves; kept in the history and the audit log."""

    reason = forms.CharField(required=False, max_length=2000, label="Reason",
                             widget=forms.TextInput(attrs={"class": "form-control form-control-sm",
                                                           "placeholder": "Reason (optional)"}))


class VersionFlagForm(ServiceFormMixin, forms.Form):
    """Why a released version is deprecated or yanked; shown with the version and audited."""

    reason = forms.CharField(max_length=2000, label="Reason",
                             widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
                             help_text="Shown with the version on the Versions tab, in the API and in the audit log.")


class ArtifactReferenceForm(ServiceFormMixin, forms.Form):
    """A file stored elsewhere: the server records the URI and never fetches it."""

    service_field_names = {"version_id": "version"}
    uri = forms.CharField(max_length=2000, label="URI",
                          help_text="Where the file is, for example https://models.example.com/model.gguf or s3://bucket/key.")
    file_name = forms.CharField(required=False, max_length=255, label="File name",
                                help_text="Left empty, the last part of the URI.")
    size_bytes = forms.IntegerField(min_value=1, label="Size (bytes)")
    sha256 = Sha256Field(label="SHA-256", help_text="64 hexadecimal characters.")
    kind = forms.ChoiceField(choices=ArtifactKind.choices, initial=ArtifactKind.OTHER, label="Kind")
    version = forms.ChoiceField(required=False, label="Version", help_text="A draft version of this record, or none.")
    content_type = forms.CharField(required=False, max_length=255, label="Content type",
                                   help_text="Left empty, application/octet-stream.")
    make_current = forms.BooleanField(required=False, label="Make it the current artifact")

    def __init__(self, *args, versions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.versions = {str(version.pk): version for version in versions}
        self.fields["version"].choices = [("", "None"), *((pk, v.label) for pk, v in self.versions.items())]
        _style_all(self)
        self.fields["sha256"].widget.attrs["class"] += " font-monospace"

    def clean_sha256(self) -> str:
        return self.cleaned_data["sha256"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("file_name") and cleaned.get("uri"):
            path = urlsplit(cleaned["uri"].strip()).path.rstrip("/")
            name = unquote(path.rsplit("/", 1)[-1]) if path else ""
            if not name:
                self.add_error("file_name", "The URI does not end in a file name; give one.")
            cleaned["file_name"] = name
        return cleaned

    def reference_data(self) -> dict:
        data = self.cleaned_data
        return {
            "file_name": data["file_name"], "uri": data["uri"].strip(), "size_bytes": data["size_bytes"],
            "sha256": data["sha256"], "kind": data["kind"],
            "content_type": data["content_type"] or "application/octet-stream",
            "version": self.versions.get(data["version"]), "make_current": data["make_current"],
        }


# --- Training runs -------------------------------------------------------------------------

DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S"


class RunJSONField(JSONObjectField):
    """A training run's JSON object: keys in order, and an empty object shown as an empty box."""

    sort_keys = True

    def __init__(self, *, example: str, **kwargs):
        super().__init__(example=example, required=False, **kwargs)

    def prepare_value(self, value):
        return "" if value == {} else super().prepare_value(value)


def _datetime_field(label: str, help_text: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        required=False, label=label, help_text=help_text,
        widget=forms.DateTimeInput(format=DATETIME_FORMAT, attrs={"type": "datetime-local", "step": "1"}),
    )


class TrainingRunForm(ServiceFormMixin, forms.Form):
    name = forms.CharField(max_length=training.MAX_NAME_LENGTH, help_text="Unique in this record, e.g. baseline-2026-01.")
    started_at = _datetime_field("Started", "UTC.")
    ended_at = _datetime_field("Ended", "UTC; at or after the start.")
    hyperparameters = RunJSONField(example=training._EXAMPLES["hyperparameters"], label="Hyperparameters",
                                   help_text=f"A JSON object, e.g. {training._EXAMPLES['hyperparameters']}.")
    metrics = RunJSONField(example=training._EXAMPLES["metrics"], label="Metrics",
                           help_text=f"A JSON object, e.g. {training._EXAMPLES['metrics']}.")
    environment = RunJSONField(example=training._EXAMPLES["environment"], label="Environment",
                               help_text="Framework versions and hardware as a JSON object, e.g. "
                               f"{training._EXAMPLES['environment']}.")
    dataset_product_ids = forms.MultipleChoiceField(
        required=False, label="Dataset products",
        help_text="Catalog products this run was trained on (only products you can view are listed).",
        error_messages={"invalid_choice": training.UNKNOWN_DATASET_PRODUCT + ": %(value)s"},
    )
    dataset_uris = forms.CharField(
        required=False, label="Dataset URIs", widget=forms.Textarea,
        help_text=f"One absolute URI per line (s3://, https://, hf://, …), at most {training.MAX_DATASET_URIS}. "
        "Recorded, never fetched.",
    )
    code_repository = forms.CharField(required=False, max_length=training.MAX_CODE_REPOSITORY_LENGTH,
                                      label="Code repository", help_text="e.g. https://git.example.com/ml/churn.git")
    code_commit = forms.CharField(required=False, max_length=64, label="Commit",
                                  help_text="7 to 64 hexadecimal characters.")
    notes = forms.CharField(required=False, max_length=training.MAX_NOTES_LENGTH, widget=forms.Textarea,
                            strip=False, label="Notes")

    def __init__(self, *args, dataset_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dataset_product_ids"].choices = dataset_choices
        for name, field in self.fields.items():
            widget = field.widget
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            if isinstance(widget, forms.Textarea):
                widget.attrs["rows"] = 4 if name != "notes" else 3
                if isinstance(field, forms.JSONField) or name == "dataset_uris":
                    css += " font-monospace"
            widget.attrs["class"] = css
        self.fields["dataset_product_ids"].widget.attrs["size"] = min(8, max(3, len(dataset_choices) + 1))

    def clean_dataset_uris(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["dataset_uris"].splitlines() if line.strip()]

    def run_data(self, *, only_changed: bool = False) -> dict:
        names = [n for n in self.fields if not only_changed or n in self.changed_data]
        return {name: self.cleaned_data[name] for name in names}


def dataset_choices(user, product) -> list:
    """Visible catalog products other than the record itself, grouped by space."""
    groups = {}
    for item in training.linkable_dataset_products(user).exclude(pk=product.pk):
        groups.setdefault(item.space.name, []).append((str(item.pk), f"{item.name} ({item.get_product_type_display()})"))
    return list(groups.items())


def run_initial(run, datasets) -> dict:
    return {
        "name": run.name, "started_at": run.started_at, "ended_at": run.ended_at,
        "hyperparameters": run.hyperparameters, "metrics": run.metrics, "environment": run.environment,
        "dataset_product_ids": [str(item["id"]) for item in datasets if not item["redacted"]],
        "dataset_uris": "\n".join(run.dataset_uris or []), "code_repository": run.code_repository,
        "code_commit": run.code_commit, "notes": run.notes,
    }


# --- The comparison of two versions --------------------------------------------------------

class CompareForm(forms.Form):
    a = forms.ChoiceField(label="Compare", error_messages={
        "required": "Choose the version to compare from.",
        "invalid_choice": "Choose a version of this record to compare from.",
    })
    b = forms.ChoiceField(label="with", error_messages={
        "required": "Choose the version to compare to.",
        "invalid_choice": "Choose a version of this record to compare to.",
    })

    def __init__(self, *args, versions=(), current_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(v.pk), f"{v.label} (current)" if v.pk == current_id else v.label) for v in reversed(versions)]
        for name in ("a", "b"):
            self.fields[name].choices = choices
            self.fields[name].widget.attrs["class"] = "form-select"
        if self.is_bound:  # only once every field has its choices: this validates the form
            for name in self.errors:
                self.fields[name].widget.attrs["class"] += " is-invalid"
