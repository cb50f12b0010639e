"""Browser pages of data products (datasets, tables, streams, dashboards, APIs, notebooks)
and of lineage: the picture around a product, adding and removing edges.

Model records keep their own pages in the model repository; these pages serve the other
product types and the lineage of any product."""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from catalog import lineage, products
from catalog.choices import DATA_PRODUCT_TYPES, Criticality, Sensitivity
from catalog.forms import LineageEdgeForm, ServiceFormMixin
from catalog.models import Product
from catalog import access
from catalog import selectors as catalog_selectors
from common import errors

PAGE_SIZE = 25






def lineage_tab_context(request, product: Product) -> dict:
    """What the lineage picture needs: the graph at the chosen depth, laid out, and whether
    the user may add edges (the form looks the other product up as the user types)."""
    depth = lineage.clamp_depth(request.GET.get("depth"))
    graph = lineage.lineage_graph(user=request.user, product=product, depth=depth)
    names = {n["key"]: n["name"] or "Hidden product" for n in graph.nodes}
    context = {
        "lineage_depth": depth,
        "lineage_depths": range(lineage.MIN_DEPTH, lineage.MAX_DEPTH + 1),
        "lineage": lineage.graph_layout(graph),
        "lineage_edges": [
            {**e, "upstream_name": names[e["upstream"]], "downstream_name": names[e["downstream"]]}
            for e in graph.edges
        ],
        "can_edit_lineage": access.can(request.user, access.EDIT, product),
    }
    return context


def _back_to_lineage(product: Product):
    if product.product_type in DATA_PRODUCT_TYPES:
        return redirect(lineage.product_url(product) + "#lineage")
    return redirect(reverse("modelrepo:model_tab", kwargs={"product_id": product.pk, "tab": "lineage"}))


class LineageEdgeAddView(LoginRequiredMixin, View):
    """POST ``direction`` (``upstream``: the other product is a source of this one;
    ``downstream``: it consumes this one) and the other product, by id (``other``) or by name
    (``other_name``). Refusals come back as a message on the Lineage tab."""

    def post(self, request, product_id):
        product = catalog_selectors.visible_product(user=request.user, product_id=product_id)
        form = LineageEdgeForm(request.POST)
        if not form.is_valid():
            messages.error(request, form.error_text())
            return _back_to_lineage(product)
        data = form.cleaned_data
        try:
            other = lineage.link_target(user=request.user, product_id=data["other"], name=data["other_name"])
            upstream, downstream = (other, product) if data["direction"] == "upstream" else (product, other)
            lineage.edge_add(actor=request.user, upstream=upstream, downstream=downstream)
        except errors.DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Lineage updated: {upstream.name} → {downstream.name}.")
        return _back_to_lineage(product)


class LineageCandidatesView(LoginRequiredMixin, View):
    """JSON for the add-edge form's list: up to 20 products the user can see, in any space,
    whose name contains ``q``. Only for those who may add edges to this product."""

    def get(self, request, product_id):
        product = catalog_selectors.visible_product(user=request.user, product_id=product_id)
        if not access.can(request.user, access.EDIT, product):
            raise PermissionDenied("Adding lineage needs edit access on this product.")
        found = lineage.link_candidates(user=request.user, product=product, query=request.GET.get("q", "")[:300])
        return JsonResponse({"results": [
            {"id": str(p.pk), "name": p.name, "space": p.space.slug, "product_type": p.product_type,
             "product_type_label": p.get_product_type_display(), "label": lineage.candidate_label(p)}
            for p in found
        ]})


class LineageEdgeRemoveView(LoginRequiredMixin, View):
    def post(self, request, product_id, edge_id):
        product = catalog_selectors.visible_product(user=request.user, product_id=product_id)
        try:
            edge = lineage.edge_for(user=request.user, product=product, edge_id=edge_id)
            lineage.edge_remove(actor=request.user, edge=edge)
        except errors.NotFound:
            raise Http404("No such lineage edge.") from None
        except errors.DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Lineage edge removed.")
        return _back_to_lineage(product)


class ProductDetailView(LoginRequiredMixin, View):
    """A data product's page: its catalog fields and its lineage. Model records redirect to
    their own page in the model repository."""

    template_name = "catalog/products/product_detail.html"

    def get(self, request, product_id):
        product = catalog_selectors.visible_product(user=request.user, product_id=product_id)
        if product.product_type not in DATA_PRODUCT_TYPES:
            return redirect(lineage.product_url(product))
        context = {
            "product": product,
            "space": product.space,
            "organization": product.space.organization,
            "can_edit": access.can(request.user, access.EDIT, product),
            **lineage_tab_context(request, product),
        }
        return render(request, self.template_name, context)


class DataProductForm(ServiceFormMixin, forms.Form):
    product_type = forms.ChoiceField(choices=[(t.value, t.label) for t in DATA_PRODUCT_TYPES], label="Type")
    name = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    documentation = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 5}),
                                    help_text="Markdown.")
    provider = forms.CharField(max_length=200, required=False)
    hosting_location = forms.CharField(max_length=200, required=False)
    criticality = forms.ChoiceField(choices=Criticality.choices, initial=Criticality.MEDIUM)
    sensitivity = forms.ChoiceField(choices=Sensitivity.choices, initial=Sensitivity.INTERNAL)
    tags = forms.CharField(required=False, help_text="Comma-separated.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-select" if isinstance(field, forms.ChoiceField)
                                          else "form-control")


class DataProductListView(LoginRequiredMixin, View):
    template_name = "catalog/products/product_list.html"

    def get(self, request, space_slug):
        space = catalog_selectors.visible_space(request.user, space_slug)
        items = products.data_product_list(user=request.user, space=space)
        context = {
            "space": space,
            "organization": space.organization,
            "page_obj": Paginator(items, PAGE_SIZE).get_page(request.GET.get("page")),
            "can_create": access.can(request.user, access.CREATE_PRODUCT, space),
        }
        return render(request, self.template_name, context)


class DataProductCreateView(LoginRequiredMixin, View):
    template_name = "catalog/products/product_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.space = catalog_selectors.visible_space(request.user, kwargs["space_slug"])
        if not access.can(request.user, access.CREATE_PRODUCT, self.space):
            raise PermissionDenied("You cannot create products in this space; ask a space admin for editor access.")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, space_slug):
        return self.render_form(request, DataProductForm())

    def post(self, request, space_slug):
        form = DataProductForm(request.POST)
        if not form.is_valid():
            return self.render_form(request, form, status=400)
        data = dict(form.cleaned_data)
        tags = [t for t in data.pop("tags", "").split(",") if t.strip()]
        try:
            product = products.data_product_create(actor=request.user, space=self.space, data=data, tags=tags)
        except errors.ValidationFailed as exc:
            form.add_service_errors(exc)
            return self.render_form(request, form, status=400)
        messages.success(request, f"Created {product.name}.")
        return redirect("products:product_detail", product_id=product.pk)

    def render_form(self, request, form, status=200):
        context = {"form": form, "space": self.space, "organization": self.space.organization}
        return render(request, self.template_name, context, status=status)
