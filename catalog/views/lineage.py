"""The lineage of any product: the picture around it on its page (or a record's Lineage tab),
adding and removing edges, and the products offered while typing. Every refusal comes back as
a message where the person picked the other product."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View

from catalog import access, lineage
from catalog import selectors as catalog_selectors
from catalog.choices import DATA_PRODUCT_TYPES
from catalog.forms import LineageEdgeForm
from catalog.models import Product
from common import errors
from common.messages import perform


def lineage_tab_context(request, product: Product) -> dict:
    """What the lineage picture needs: the graph at the chosen depth, laid out, and whether
    the user may add edges (the form looks the other product up as the user types)."""
    depth = lineage.clamp_depth(request.GET.get("depth"))
    graph = lineage.lineage_graph(user=request.user, product=product, depth=depth)
    names = {n["key"]: n["name"] or "Hidden product" for n in graph.nodes}
    return {
        "lineage_depth": depth,
        "lineage_depths": range(lineage.MIN_DEPTH, lineage.MAX_DEPTH + 1),
        "lineage": lineage.graph_layout(graph),
        "lineage_edges": [
            {**e, "upstream_name": names[e["upstream"]], "downstream_name": names[e["downstream"]]}
            for e in graph.edges
        ],
        "can_edit_lineage": access.can(request.user, access.EDIT, product),
    }


def _back_to_lineage(product: Product):
    if product.product_type in DATA_PRODUCT_TYPES:
        return redirect(lineage.product_url(product) + "#lineage")
    return redirect(reverse("modelrepo:model_tab", kwargs={"product_id": product.pk, "tab": "lineage"}))


def _link(user, product: Product, data: dict):
    """Add the edge the form asks for: the other product is a source of ``product``
    (``upstream``) or consumes it (``downstream``)."""
    other = lineage.link_target(user=user, product_id=data["other"], name=data["other_name"])
    upstream, downstream = (other, product) if data["direction"] == "upstream" else (product, other)
    return lineage.edge_add(actor=user, upstream=upstream, downstream=downstream)


class LineageEdgeAddView(LoginRequiredMixin, View):
    """POST ``direction`` (``upstream``: the other product is a source of this one;
    ``downstream``: it consumes this one) and the other product, by id (``other``) or by name
    (``other_name``). Refusals, whether the other product is unknown or not the user's to
    link, come back as a message on the Lineage tab."""

    def post(self, request, product_id):
        product = catalog_selectors.visible_product(user=request.user, product_id=product_id)
        form = LineageEdgeForm(request.POST)
        if not form.is_valid():
            messages.error(request, form.error_text())
            return _back_to_lineage(product)
        perform(request, lambda: _link(request.user, product, form.cleaned_data), pages=(),
                success=lambda edge: f"Lineage updated: {edge.upstream.name} → {edge.downstream.name}.")
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
        edge = lineage.edge_for(user=request.user, product=product, edge_id=edge_id)
        perform(request, lambda: lineage.edge_remove(actor=request.user, edge=edge), "Lineage edge removed.",
                pages=(errors.NotFound,))
        return _back_to_lineage(product)
