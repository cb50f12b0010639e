"""Browser pages of the model repository: the organization and space lists, a record's
tabs, and the create and edit forms. Reads go through the selectors (restricted by the
access policy), writes through the services; what a user may not see answers 404."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views import View

from governance import access, audit
from modelrepo import selectors, services
from modelrepo.filtersets import ModelRecordFilterSet
from modelrepo.forms import ModelRecordForm, record_initial
from modelrepo.models import ModelDetails
from qarion import errors

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
TABS = ("overview", "versions", "artifacts", "governance", "lineage", "activity")
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


def visible_organization_or_404(user, slug):
    organization = access.visible_organizations(user).filter(slug=slug).first()
    if organization is None:
        raise Http404("No such organization.")
    return organization


def visible_space_or_404(user, slug):
    space = access.visible_spaces(user).select_related("organization").filter(slug=slug).first()
    if space is None:
        raise Http404("No such space.")
    return space


def visible_record_or_404(user, product_id):
    try:
        return selectors.model_record_get(user=user, product_id=product_id)
    except errors.NotFound:
        raise Http404("No such model record.") from None


def details_of(product):
    try:
        return product.model_details
    except ModelDetails.DoesNotExist:  # a product created outside the model repository
        return None


class ModelRecordListMixin(LoginRequiredMixin):
    template_name = "modelrepo/model_list.html"

    def render_list(self, request, records, **context):
        filterset = ModelRecordFilterSet(filter_params(request.GET), queryset=records, request=request)
        filtered = filterset.qs  # invalid parameters are left out and reported in the panel
        page = Paginator(filtered, page_size(request.GET)).get_page(request.GET.get("page"))
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
        organization = visible_organization_or_404(request.user, org_slug)
        records = selectors.model_record_list(user=request.user, organization=organization)
        spaces = access.visible_spaces(request.user, organization=organization)
        return self.render_list(
            request, records, scope="organization", organization=organization,
            space_choices=[(space.slug, space.name) for space in spaces],
        )


class SpaceModelListView(ModelRecordListMixin, View):
    def get(self, request, space_slug):
        space = visible_space_or_404(request.user, space_slug)
        records = selectors.model_record_list(user=request.user, space=space)
        return self.render_list(
            request, records, scope="space", space=space, organization=space.organization,
            can_create=access.can(request.user, access.CREATE_PRODUCT, space),
        )


class ModelRecordCreateView(LoginRequiredMixin, View):
    template_name = "modelrepo/model_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.space = visible_space_or_404(request.user, kwargs["space_slug"])
        if not access.can(request.user, access.CREATE_PRODUCT, self.space):
            raise PermissionDenied(
                f"You can view space {self.space.name} but not create records in it. "
                "Ask a space admin for editor access."
            )
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, space_slug):
        return self.render_form(request, ModelRecordForm())

    def post(self, request, space_slug):
        form = ModelRecordForm(request.POST)
        if not form.is_valid():
            return self.render_form(request, form)
        data, tags = form.record_data()
        try:
            product = services.model_record_create(actor=request.user, space=self.space, data=data, tags=tags)
        except errors.PermissionDenied as exc:
            raise PermissionDenied(exc.message) from None
        except errors.ValidationFailed as exc:
            form.add_service_errors(exc)
            return self.render_form(request, form)
        messages.success(request, f"Model record “{product.name}” created.")
        return redirect("modelrepo:model_detail", product_id=product.pk)

    def render_form(self, request, form):
        context = {"form": form, "space": self.space, "organization": self.space.organization, "creating": True}
        return render(request, self.template_name, context)


class ModelRecordEditView(LoginRequiredMixin, View):
    template_name = "modelrepo/model_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.product = visible_record_or_404(request.user, kwargs["product_id"])
        if not access.can(request.user, access.EDIT, self.product):
            raise PermissionDenied(
                f"You can view “{self.product.name}” but not change it. "
                "Ask a space admin or the record's owner for edit access."
            )
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, product_id):
        return self.render_form(request, self.form())

    def post(self, request, product_id):
        form = self.form(request.POST)
        if not form.is_valid():
            return self.render_form(request, form)
        data, tags = form.record_data(only_changed=True)
        try:
            product = services.model_record_update(actor=request.user, product=self.product, data=data, tags=tags)
        except errors.PermissionDenied as exc:
            raise PermissionDenied(exc.message) from None
        except errors.ValidationFailed as exc:
            form.add_service_errors(exc)
            return self.render_form(request, form)
        messages.success(request, f"Model record “{product.name}” saved.")
        return redirect("modelrepo:model_detail", product_id=product.pk)

    def form(self, data=None):
        return ModelRecordForm(data, initial=record_initial(self.product, details_of(self.product)), editing=True)

    def render_form(self, request, form):
        space = self.product.space
        context = {"form": form, "product": self.product, "space": space, "organization": space.organization}
        return render(request, self.template_name, context)


class ModelRecordDetailView(LoginRequiredMixin, View):
    """One record's tabs: the overview, and the tabs the version, artifact, governance and
    lineage work fill in."""

    template_name = "modelrepo/model_detail.html"

    def get(self, request, product_id, tab="overview"):
        if tab not in TABS:
            raise Http404("No such tab.")
        product = visible_record_or_404(request.user, product_id)
        context = {
            "product": product,
            "details": details_of(product),
            "space": product.space,
            "organization": product.space.organization,
            "tab": tab,
            "tabs": TABS,
            "can_edit": access.can(request.user, access.EDIT, product),
            "summary": selectors.repository_summary(product),
        }
        if tab == "activity":
            events = audit.product_events(product)
            context["page_obj"] = Paginator(events, DEFAULT_PAGE_SIZE).get_page(request.GET.get("page"))
        return render(request, self.template_name, context)
