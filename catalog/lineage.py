"""Lineage between catalog products: the writes (add and remove an edge) and the graph read.

Who may change lineage: adding an edge upstream → downstream needs edit access on the
downstream product (lineage describes what a product consumes, so its editors declare it) and
view access on the upstream one (nobody links to what they cannot see). Removing an edge needs
edit access on either end, so the owners of a source can also cut a consumer loose.

The graph never names what the viewer cannot see: such products become redacted placeholders
with an opaque key, no id, no name, no space, no type. The add-edge form finds the other
product by name among the products the user can see (``link_candidates``) and names it by id,
or by its typed name (``link_target``)."""

import re
from collections import deque
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from catalog import access, audit
from catalog import selectors as catalog_selectors
from catalog.choices import AI_PRODUCT_TYPES
from catalog.models import LineageEdge, Product
from common.errors import NotFound, PermissionDenied, ValidationFailed

MIN_DEPTH, MAX_DEPTH = 1, 3
HIDDEN_NAME = "a product you cannot see"
CANDIDATE_LIMIT = 20  # products offered at a time while typing a name in the add-edge form
NOT_FOUND = "No product with this id exists, or you cannot see it."
_LABEL = re.compile(r"^(?P<name>.+) \((?P<space>[-\w]+)\)$")


def product_url(product: Product) -> str:
    if product.product_type in AI_PRODUCT_TYPES:
        return reverse("modelrepo:model_detail", kwargs={"product_id": product.pk})
    return reverse("catalog:product_detail", kwargs={"product_id": product.pk})


def _visible_ids(user, ids) -> set:
    return set(access.restrict(Product.objects.filter(pk__in=ids), user).values_list("pk", flat=True))


def _path_between(start, goal) -> list | None:
    """Product ids along a downstream path from ``start`` to ``goal``, or None."""
    previous = {start: None}
    queue = deque([start])
    while queue:
        current = queue.popleft()
        if current == goal:
            path = []
            while current is not None:
                path.append(current)
                current = previous[current]
            return path[::-1]
        for nxt in LineageEdge.objects.filter(upstream_id=current).values_list("downstream_id", flat=True):
            if nxt not in previous:
                previous[nxt] = current
                queue.append(nxt)
    return None


def _describe_path(user, ids) -> str:
    visible = _visible_ids(user, ids)
    names = dict(Product.objects.filter(pk__in=visible).values_list("pk", "name"))
    return " → ".join(names[i] if i in visible else f"[{HIDDEN_NAME}]" for i in ids)


def link_candidates(*, user, product: Product, query: str = "", limit: int = CANDIDATE_LIMIT) -> list[Product]:
    """Up to ``limit`` products ``user`` can see, in any space, that could be linked to
    ``product``: not archived, not the product itself, whose name contains ``query``; by name."""
    found = (access.restrict(Product.objects.select_related("space"), user)
             .exclude(pk=product.pk).filter(is_archived=False))
    query = " ".join((query or "").split())
    if query:
        found = found.filter(name__icontains=query)
    return list(found.order_by("name", "space__slug")[:limit])


def candidate_label(product: Product) -> str:
    """How the add-edge form shows a product, and a name it accepts back: ``Name (space)``."""
    return f"{product.name} ({product.space.slug})"


def link_target(*, user, product_id: str = "", name: str = "") -> Product:
    """The product the add-edge form names: by id when one was picked from the list, else by
    the typed name or ``Name (space)`` label. An unknown id, a malformed one and a product
    ``user`` cannot see are all NotFound, with the same words."""
    if product_id:
        return catalog_selectors.visible_product(user=user, product_id=product_id)
    visible = access.restrict(Product.objects.select_related("space__organization"), user)
    name = " ".join((name or "").split())
    labelled = _LABEL.match(name)
    if labelled:
        found = visible.filter(name__iexact=labelled["name"], space__slug=labelled["space"]).first()
        if found is not None:
            return found
    found = list(visible.filter(name__iexact=name)[:2]) if name else []
    if len(found) > 1:
        raise ValidationFailed(
            f"Several products you can see are named {name}: pick one from the list, which names its space.",
            code="ambiguous", details={"other": ["Add the space in brackets, as the list shows it."]},
        )
    if not found:
        raise NotFound(f"No product named {name} exists, or you cannot see it: type part of its name and pick it "
                       "from the list." if name else NOT_FOUND)
    return found[0]


def edge_add(*, actor, upstream: Product, downstream: Product) -> LineageEdge:
    if not access.can(actor, access.VIEW, upstream) or not access.can(actor, access.VIEW, downstream):
        raise NotFound(NOT_FOUND)
    if not access.can(actor, access.EDIT, downstream):
        raise PermissionDenied(
            f"Adding a source to {downstream.name} needs edit access on it; ask a space admin or its owner."
        )
    if upstream.pk == downstream.pk:
        raise ValidationFailed(
            "A product cannot be its own source.", code="lineage_self_loop",
            details={"upstream_id": ["Choose another product than the product itself."]},
        )
    with transaction.atomic():
        if LineageEdge.objects.filter(upstream=upstream, downstream=downstream).exists():
            raise ValidationFailed(
                f"{upstream.name} is already a source of {downstream.name}.", code="lineage_duplicate",
                details={"upstream_id": ["This edge exists already."]},
            )
        loop = _path_between(downstream.pk, upstream.pk)
        if loop is not None:
            path = _describe_path(actor, [*loop, downstream.pk])
            raise ValidationFailed(
                f"This edge would close a cycle: {path}. Remove an edge of that path first.",
                code="lineage_cycle", details={"upstream_id": [f"Would close the cycle {path}."]},
            )
        try:
            with transaction.atomic():
                edge = LineageEdge.objects.create(upstream=upstream, downstream=downstream, created_by=actor)
        except IntegrityError:
            raise ValidationFailed(
                f"{upstream.name} is already a source of {downstream.name}.", code="lineage_duplicate",
                details={"upstream_id": ["This edge exists already."]},
            ) from None
        audit.record(actor=actor, action="lineage.edge_added", target=downstream,
                     changes={"upstream": {"old": None, "new": str(upstream.pk)}})
    return edge


def edge_for(*, user, product: Product, edge_id) -> LineageEdge:
    """An edge touching ``product`` (which ``user`` can see), or NotFound."""
    try:
        edge = (LineageEdge.objects.select_related("upstream__space__organization", "downstream__space__organization")
                .filter(pk=edge_id).first())
    except (ValueError, DjangoValidationError):  # a malformed id is simply not found
        edge = None
    if edge is None or product.pk not in (edge.upstream_id, edge.downstream_id):
        raise NotFound("No such lineage edge on this product.")
    return edge


def edge_remove(*, actor, edge: LineageEdge) -> None:
    if not (access.can(actor, access.EDIT, edge.downstream) or access.can(actor, access.EDIT, edge.upstream)):
        raise PermissionDenied("Removing lineage needs edit access on one of its two products.")
    with transaction.atomic():
        target = edge.downstream
        changes = {"upstream": {"old": str(edge.upstream_id), "new": None}}
        edge.delete()
        audit.record(actor=actor, action="lineage.edge_removed", target=target, changes=changes)


@dataclass
class LineageGraph:
    center: dict
    depth: int
    nodes: list = field(default_factory=list)
    edges: list = field(default_factory=list)


def clamp_depth(raw, default: int = 1) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return default
    return min(max(value, MIN_DEPTH), MAX_DEPTH)


def lineage_graph(*, user, product: Product, depth: int = 1) -> LineageGraph:
    """The products within ``depth`` hops upstream and downstream of ``product``.

    Each node has a ``level`` (negative upstream, 0 the product, positive downstream). Nodes
    ``user`` cannot see are placeholders: ``redacted`` true and nothing that identifies them."""
    depth = clamp_depth(depth)
    levels = {product.pk: 0}
    edges = {}
    for direction in (-1, 1):
        frontier = [product.pk]
        for step in range(1, depth + 1):
            if not frontier:
                break
            if direction < 0:
                found = LineageEdge.objects.filter(downstream_id__in=frontier)
                nxt_of = lambda e: e.upstream_id  # noqa: E731
            else:
                found = LineageEdge.objects.filter(upstream_id__in=frontier)
                nxt_of = lambda e: e.downstream_id  # noqa: E731
            frontier = []
            for edge in found.order_by("created_at"):
                edges[edge.pk] = edge
                nxt = nxt_of(edge)
                if nxt not in levels:
                    levels[nxt] = direction * step
                    frontier.append(nxt)
    visible = _visible_ids(user, levels)
    products = {p.pk: p for p in Product.objects.select_related("space").filter(pk__in=visible)}
    keys, nodes, hidden = {}, [], 0
    for pk, level in sorted(levels.items(), key=lambda item: (item[1], str(products.get(item[0], "~")))):
        if pk in products:
            p = products[pk]
            keys[pk] = str(pk)
            nodes.append({
                "key": str(pk), "id": str(pk), "redacted": False, "level": level, "name": p.name,
                "product_type": p.product_type, "product_type_label": p.get_product_type_display(),
                "space": p.space.slug, "url": product_url(p),
            })
        else:
            hidden += 1
            keys[pk] = f"redacted-{hidden}"
            nodes.append({
                "key": keys[pk], "id": None, "redacted": True, "level": level, "name": None,
                "product_type": None, "product_type_label": None, "space": None, "url": None,
            })
    edge_rows = []
    for edge in edges.values():
        if edge.upstream_id in keys and edge.downstream_id in keys:
            both_visible = edge.upstream_id in products and edge.downstream_id in products
            edge_rows.append({
                "id": str(edge.pk), "upstream": keys[edge.upstream_id], "downstream": keys[edge.downstream_id],
                "removable": both_visible and (
                    access.can(user, access.EDIT, products[edge.downstream_id])
                    or access.can(user, access.EDIT, products[edge.upstream_id])
                ),
            })
    center = next(n for n in nodes if n["level"] == 0)
    return LineageGraph(center=center, depth=depth, nodes=nodes, edges=edge_rows)


# Picture geometry (SVG user units).
NODE_W, NODE_H, COL_GAP, ROW_GAP, PAD = 180, 44, 70, 18, 10


def graph_layout(graph: LineageGraph) -> dict:
    """Positions for drawing ``graph`` left (upstream) to right (downstream) as SVG."""
    columns = {}
    for node in graph.nodes:
        columns.setdefault(node["level"], []).append(node)
    depth = graph.depth
    tallest = max(len(c) for c in columns.values())
    height = PAD * 2 + tallest * NODE_H + (tallest - 1) * ROW_GAP
    width = PAD * 2 + (2 * depth + 1) * NODE_W + 2 * depth * COL_GAP
    placed = {}
    for level, column in columns.items():
        x = PAD + (level + depth) * (NODE_W + COL_GAP)
        column_h = len(column) * NODE_H + (len(column) - 1) * ROW_GAP
        top = (height - column_h) / 2
        for i, node in enumerate(column):
            y = top + i * (NODE_H + ROW_GAP)
            label = node["name"] or "Hidden product"
            placed[node["key"]] = {
                **node, "x": x, "y": y, "w": NODE_W, "h": NODE_H,
                "label": label if len(label) <= 24 else label[:23] + "…",
                "text_x": x + NODE_W / 2, "text_y": y + NODE_H / 2 - 3, "sub_y": y + NODE_H / 2 + 12,
            }
    lines = []
    for edge in graph.edges:
        a, b = placed[edge["upstream"]], placed[edge["downstream"]]
        lines.append({**edge, "x1": a["x"] + NODE_W, "y1": a["y"] + NODE_H / 2, "x2": b["x"], "y2": b["y"] + NODE_H / 2})
    return {"width": width, "height": height, "nodes": list(placed.values()), "lines": lines}
