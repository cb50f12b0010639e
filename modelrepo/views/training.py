"""The pages of a record's training runs: the list with the create form, one run, its edit
form, and its deletion. Writes go through modelrepo.training."""

from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from common.messages import FormPageMixin, perform
from modelrepo import compare, training
from modelrepo.forms import TrainingRunForm, dataset_choices, run_initial
from modelrepo.views.base import DEFAULT_PAGE_SIZE, RecordView


def duration_of(run):
    if run.started_at and run.ended_at:
        return run.ended_at - run.started_at
    return None


def json_rows(value) -> list[dict]:
    """The keys of a JSON object with their values as text, for a two-column table."""
    items = sorted((value or {}).items(), key=lambda item: (str(item[0]).lower(), str(item[0])))
    return [{"key": str(k), "value": compare.show_value(v), "structured": isinstance(v, (dict, list))} for k, v in items]


def hidden_count(datasets) -> int:
    """How many of a run's dataset products the user may not see (they show as redacted)."""
    return sum(1 for item in datasets if item["redacted"])


class TrainingRunView(RecordView):
    denied_message = ("You can view “{name}” but not change its training runs. "
                      "Ask a space admin or the record's owner for edit access.")

    def form(self, data=None, **kwargs):
        return TrainingRunForm(data, dataset_choices=dataset_choices(self.request.user, self.product), **kwargs)

    def saved_redirect(self, run):
        return redirect("modelrepo:run_detail", product_id=self.product.pk, run_id=run.pk)


class TrainingRunListView(FormPageMixin, TrainingRunView):
    """The record's runs, with the form that records a new one for those who may edit."""

    template_name = "modelrepo/training/run_list.html"
    edit_methods = ("post",)

    def get(self, request, product_id):
        return self.render_form(request, self.form() if self.can_edit else None)

    def save(self, form):
        return training.training_run_create(actor=self.request.user, product=self.product, data=form.run_data())

    def saved_message(self, run):
        return f"Training run “{run.name}” recorded."

    def render_form(self, request, form, status=200):
        page = Paginator(training.training_run_list(product=self.product), DEFAULT_PAGE_SIZE).get_page(
            request.GET.get("page"))
        datasets = training.dataset_products_of(page.object_list, request.user)
        rows = [{"run": run, "datasets": datasets.get(run.pk, []), "duration": duration_of(run)}
                for run in page.object_list]
        context = self.record_context(page_obj=page, rows=rows, form=form, can_edit=self.can_edit)
        return render(request, self.template_name, context, status=status)


class TrainingRunDetailView(TrainingRunView):
    template_name = "modelrepo/training/run_detail.html"

    def get(self, request, product_id, run_id):
        run = training.training_run_get(product=self.product, run_id=run_id)
        datasets = training.dataset_products_of([run], request.user)[run.pk]
        context = self.record_context(
            run=run, datasets=datasets, duration=duration_of(run),
            json_sections=[("Hyperparameters", json_rows(run.hyperparameters)), ("Metrics", json_rows(run.metrics)),
                           ("Environment", json_rows(run.environment))],
            hidden_dataset_count=hidden_count(datasets),
            versions=training.training_run_versions(run), artifacts=training.training_run_artifacts(run),
            can_edit=self.can_edit,
        )
        return render(request, self.template_name, context)


class TrainingRunEditView(FormPageMixin, TrainingRunView):
    template_name = "modelrepo/training/run_form.html"
    edit_methods = ("get", "post")

    def load(self, run_id, **kwargs):
        self.run = training.training_run_get(product=self.product, run_id=run_id)
        self.datasets = training.dataset_products_of([self.run], self.request.user)[self.run.pk]
        self.extra_context = {"run": self.run, "hidden_dataset_count": hidden_count(self.datasets)}

    def form(self, data=None):
        return super().form(data, initial=run_initial(self.run, self.datasets))

    def save(self, form):
        return training.training_run_update(actor=self.request.user, product=self.product, run=self.run,
                                            data=form.run_data(only_changed=True))

    def saved_message(self, run):
        return f"Training run “{run.name}” saved."


class TrainingRunDeleteView(TrainingRunView):
    edit_methods = ("post",)
    http_method_names = ["post"]

    def post(self, request, product_id, run_id):
        run = training.training_run_get(product=self.product, run_id=run_id)
        if not perform(request, lambda: training.training_run_delete(actor=request.user, product=self.product, run=run),
                       f"Training run “{run.name}” deleted."):
            return self.saved_redirect(run)  # back to the run, with the refusal
        return redirect("modelrepo:run_list", product_id=self.product.pk)
