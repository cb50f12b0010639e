"""Browser pages of training runs (list and create, detail, edit, delete) and of the
comparison of two versions. Reads go through the selectors (a record the user cannot view
answers 404), writes through modelrepo.training; the forms here check shape only."""

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.forms.fields import InvalidJSONInput
from django.http import Http404
from django.shortcuts import redirect, render
from django.views import View

from catalog.forms import ServiceFormMixin
from catalog import access
from modelrepo import compare, selectors, training
from common import errors

PAGE_SIZE = 25
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S"


def visible_record_or_404(user, product_id):
    try:
        return selectors.model_record_get(user=user, product_id=product_id)
    except errors.NotFound:
        raise Http404("No such model record.") from None


def run_or_404(product, run_id):
    try:
        return training.training_run_get(product=product, run_id=run_id)
    except errors.NotFound:
        raise Http404("No such training run.") from None


def duration_of(run):
    if run.started_at and run.ended_at:
        return run.ended_at - run.started_at
    return None


def json_rows(value) -> list[dict]:
    """The keys of a JSON object with their values as text, for a two-column table."""
    items = sorted((value or {}).items(), key=lambda item: (str(item[0]).lower(), str(item[0])))
    return [{"key": str(k), "value": compare.show_value(v), "structured": isinstance(v, (dict, list))} for k, v in items]


def record_context(product) -> dict:
    return {"product": product, "space": product.space, "organization": product.space.organization}


# --- Forms -------------------------------------------------------------------------------

class JSONObjectField(forms.JSONField):
    """JSON that must be an object; shown indented, and empty means an empty object."""

    def __init__(self, *, example: str, **kwargs):
        self.example = example
        super().__init__(required=False, **kwargs)

    def validate(self, value):
        super().validate(value)
        if value is not None and not isinstance(value, dict):
            raise forms.ValidationError(f"Enter a JSON object, such as {self.example}.", code="not_an_object")

    def prepare_value(self, value):
        if isinstance(value, InvalidJSONInput):
            return value
        if value in (None, {}):
            return ""
        return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)


def _datetime_field(label: str, help_text: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        required=False, label=label, help_text=help_text,
        widget=forms.DateTimeInput(format=DATETIME_FORMAT, attrs={"type": "datetime-local", "step": "1"}),
    )


class TrainingRunForm(ServiceFormMixin, forms.Form):
    name = forms.CharField(max_length=training.MAX_NAME_LENGTH, help_text="Unique in this record, e.g. baseline-2026-01.")
    started_at = _datetime_field("Started", "UTC.")
    ended_at = _datetime_field("Ended", "UTC; at or after the start.")
    hyperparameters = JSONObjectField(example=training._EXAMPLES["hyperparameters"], label="Hyperparameters",
                                      help_text=f"A JSON object, e.g. {training._EXAMPLES['hyperparameters']}.")
    metrics = JSONObjectField(example=training._EXAMPLES["metrics"], label="Metrics",
                              help_text=f"A JSON object, e.g. {training._EXAMPLES['metrics']}.")
    environment = JSONObjectField(example=training._EXAMPLES["environment"], label="Environment",
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


# --- Training runs -----------------------------------------------------------------------

class _RecordView(LoginRequiredMixin, View):
    """Signed in, then the record (404 when invisible), then ``edit`` for the write methods
    listed in ``edit_methods``."""

    edit_methods = ()

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.product = visible_record_or_404(request.user, kwargs["product_id"])
        self.can_edit = access.can(request.user, access.EDIT, self.product)
        if request.method.lower() in self.edit_methods and not self.can_edit:
            raise PermissionDenied(
                f"You can view “{self.product.name}” but not change its training runs. "
                "Ask a space admin or the record's owner for edit access."
            )
        return super().dispatch(request, *args, **kwargs)


class TrainingRunListView(_RecordView):
    template_name = "modelrepo/training/run_list.html"
    edit_methods = ("post",)

    def get(self, request, product_id):
        form = self.form() if self.can_edit else None
        return self.render_page(request, form)

    def post(self, request, product_id):
        form = self.form(request.POST)
        if not form.is_valid():
            return self.render_page(request, form)
        try:
            run = training.training_run_create(actor=request.user, product=self.product, data=form.run_data())
        except errors.ValidationFailed as exc:
            form.add_service_errors(exc)
            return self.render_page(request, form)
        messages.success(request, f"Training run “{run.name}” recorded.")
        return redirect("training:run_detail", product_id=self.product.pk, run_id=run.pk)

    def form(self, data=None):
        return TrainingRunForm(data, dataset_choices=dataset_choices(self.request.user, self.product))

    def render_page(self, request, form):
        page = Paginator(training.training_run_list(product=self.product), PAGE_SIZE).get_page(request.GET.get("page"))
        datasets = training.dataset_products_of(page.object_list, request.user)
        rows = [{"run": run, "datasets": datasets.get(run.pk, []), "duration": duration_of(run)}
                for run in page.object_list]
        context = {**record_context(self.product), "page_obj": page, "rows": rows, "form": form,
                   "can_edit": self.can_edit}
        return render(request, self.template_name, context)


class TrainingRunDetailView(_RecordView):
    template_name = "modelrepo/training/run_detail.html"

    def get(self, request, product_id, run_id):
        run = run_or_404(self.product, run_id)
        datasets = training.dataset_products_of([run], request.user)[run.pk]
        context = {
            **record_context(self.product), "run": run, "datasets": datasets, "duration": duration_of(run),
            "json_sections": [("Hyperparameters", json_rows(run.hyperparameters)), ("Metrics", json_rows(run.metrics)),
                              ("Environment", json_rows(run.environment))],
            "hidden_dataset_count": sum(1 for item in datasets if item["redacted"]),
            "versions": training.training_run_versions(run), "artifacts": training.training_run_artifacts(run),
            "can_edit": self.can_edit,
        }
        return render(request, self.template_name, context)


class TrainingRunEditView(_RecordView):
    template_name = "modelrepo/training/run_form.html"
    edit_methods = ("get", "post")

    def get(self, request, product_id, run_id):
        run = run_or_404(self.product, run_id)
        return self.render_form(request, run, self.form(run))

    def post(self, request, product_id, run_id):
        run = run_or_404(self.product, run_id)
        form = self.form(run, request.POST)
        if not form.is_valid():
            return self.render_form(request, run, form)
        try:
            run = training.training_run_update(actor=request.user, product=self.product, run=run,
                                               data=form.run_data(only_changed=True))
        except errors.ValidationFailed as exc:
            form.add_service_errors(exc)
            return self.render_form(request, run, form)
        messages.success(request, f"Training run “{run.name}” saved.")
        return redirect("training:run_detail", product_id=self.product.pk, run_id=run.pk)

    def form(self, run, data=None):
        self.datasets = training.dataset_products_of([run], self.request.user)[run.pk]
        return TrainingRunForm(data, initial=run_initial(run, self.datasets),
                               dataset_choices=dataset_choices(self.request.user, self.product))

    def render_form(self, request, run, form):
        context = {**record_context(self.product), "run": run, "form": form,
                   "hidden_dataset_count": sum(1 for item in self.datasets if item["redacted"])}
        return render(request, self.template_name, context)


class TrainingRunDeleteView(_RecordView):
    edit_methods = ("post",)
    http_method_names = ["post"]

    def post(self, request, product_id, run_id):
        run = run_or_404(self.product, run_id)
        try:
            training.training_run_delete(actor=request.user, product=self.product, run=run)
        except errors.Conflict as exc:
            messages.error(request, exc.message)
            return redirect("training:run_detail", product_id=self.product.pk, run_id=run.pk)
        messages.success(request, f"Training run “{run.name}” deleted.")
        return redirect("training:run_list", product_id=self.product.pk)


# --- Comparison --------------------------------------------------------------------------

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


class VersionCompareView(_RecordView):
    template_name = "modelrepo/compare.html"

    def get(self, request, product_id):
        versions = list(selectors.version_list(product=self.product).select_related("training_run"))
        current_id = selectors.current_version_id(self.product)
        context = {**record_context(self.product), "versions": versions, "comparison": None}
        if "a" in request.GET or "b" in request.GET:
            form = CompareForm(request.GET, versions=versions, current_id=current_id)
            if form.is_valid():
                a, b = compare.versions_to_compare(product=self.product, a=form.cleaned_data["a"],
                                                   b=form.cleaned_data["b"])
                context["comparison"] = compare.version_comparison(product=self.product, a=a, b=b)
        else:
            a, b = compare.default_pair(versions, current_id)
            initial = {"a": str(a.pk), "b": str(b.pk)} if a is not None else {}
            form = CompareForm(initial=initial, versions=versions, current_id=current_id)
            if a is not None:
                context["comparison"] = compare.version_comparison(product=self.product, a=a, b=b)
        context["form"] = form
        return render(request, self.template_name, context)
