"""The record lists of an organization and a space, and a record's create and edit forms."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views import View

from catalog import access, health
from catalog import selectors as catalog_selectors
from catalog.views.products import ProductCreateMixin
from common.messages import FormPageMixin
from modelrepo import selectors, services
from modelrepo.filtersets import ModelRecordFilterSet
from modelrepo.forms import ModelRecordForm, record_initial
from modelrepo.views.base import DEFAULT_PAGE_SIZE, RecordFormView, details_of

MAX_PAGE_SIZE = 100
# Free-text filters whose field reads one value; repeated parameters (what checkboxes send)
# are joined into the comma-separated form the FilterSet also accepts.
JOINED_FILTERS = ("tag", "space")


def page_size(params) -> int:
    try:
        size = int(params.get("size", DEFAULT_PAGE_SIZE))
    except ValueError:
        return DEFAULT_PAGE_SIZE
    return size if 1 <= size <= MAX_PAGE_SIZE else DEFAULT_PAGE_SIZE


def filter_params(params):
    data = params.copy()
    for key in JOINED_FILTERS:
        values = [value for value in params.getlist(key) if value.strip()]
        if len(values) > 1:
            data.setlist(key, [",".join(values)])
    return data


def filter_error_messages(filterset) -> list[str]:
    fields = filterset.form.fields
    return [
        f"{fields[name].label}: {message}" if name in fields else message
        for name, messages in filterset.errors.items()
        for message in messages
    ]


class ModelRecordListMixin(LoginRequiredMixin):
    template_name = "modelrepo/model_list.html"

    def render_list(self, request, records, **context):
        filterset = ModelRecordFilterSet(filter_params(request.GET), queryset=records, request=request)
        filtered = filterset.qs  # invalid parameters are left out and reported in the panel
        page = Paginator(filtered, page_size(request.GET)).get_page(request.GET.get("page"))
        page.object_list = list(page.object_list)
        selectors.attach_summaries(page.object_list)  # two queries whatever the page size
        context.update(
            filterset=filterset,
            filter_errors=filter_error_messages(filterset),
            page_obj=page,
            records=page.object_list,
            summary=selectors.summary_counts(filtered),
            page_size=page_size(request.GET),
            filtered=any(k not in ("page", "size", "ordering") for k in request.GET),
        )
        return render(request, self.template_name, context)


class OrganizationModelListView(ModelRecordListMixin, View):
    """Read-only discovery across every space of the organization the user can view."""

    def get(self, request, org_slug):
        organization = catalog_selectors.visible_organization(request.user, org_slug)
        records = selectors.model_record_list(user=request.user, organization=organization)
        spaces = access.visible_spaces(request.user, organization=organization)
        return self.render_list(
            request, records, scope="organization", organization=organization,
            space_choices=[(space.slug, space.name) for space in spaces],
            can_audit=access.can(request.user, access.MANAGE, organization),
        )


class SpaceModelListView(ModelRecordListMixin, View):
    def get(self, request, space_slug):
        space = catalog_selectors.visible_space(request.user, space_slug)
        records = selectors.model_record_list(user=request.user, space=space)
        return self.render_list(
            request, records, scope="space", space=space, organization=space.organization,
            can_create=access.can(request.user, access.CREATE_PRODUCT, space),
            can_audit=access.can(request.user, access.MANAGE, space),
            quality_failures=health.space_failures(space),
        )


class ModelRecordCreateView(FormPageMixin, ProductCreateMixin, View):
    template_name = "modelrepo/model_form.html"
    denied_message = "You can view space {space} but not create records in it. Ask a space admin for editor access."
    extra_context = {"creating": True}

    def form(self, data=None):
        return ModelRecordForm(data)

    def save(self, form):
        data, tags = form.record_data()
        return services.model_record_create(actor=self.request.user, space=self.space, data=data, tags=tags)

    def saved_message(self, product):
        return f"Model record “{product.name}” created."

    def saved_redirect(self, product):
        return redirect("modelrepo:model_detail", product_id=product.pk)


class ModelRecordEditView(RecordFormView):
    template_name = "modelrepo/model_form.html"

    def form(self, data=None):
        return ModelRecordForm(data, initial=record_initial(self.product, details_of(self.product)), editing=True)

    def save(self, form):
        data, tags = form.record_data(only_changed=True)
        return services.model_record_update(actor=self.request.user, product=self.product, data=data, tags=tags)

    def saved_message(self, product):
        return f"Model record “{product.name}” saved."

    def saved_redirect(self, product):
        return redirect("modelrepo:model_detail", product_id=product.pk)
