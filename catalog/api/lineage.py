"""API of a product's lineage: the graph around it, adding and removing edges."""

from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import serializers

from catalog import lineage
from catalog import selectors as catalog_selectors
from catalog.api.scopes import PRODUCT_ID, ProductView
from common.api.schema import responses, uuid_path_parameter


class LineageNodeSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The node's key in `edges`: the product id, or `redacted-N` for a "
                                "product you cannot see.")
    id = serializers.UUIDField(allow_null=True, help_text="The product id; null when redacted.")
    redacted = serializers.BooleanField(help_text="True for a product you cannot see; it has no name, type or space.")
    level = serializers.IntegerField(help_text="Hops from the product: negative upstream, 0 the product, "
                                     "positive downstream.")
    name = serializers.CharField(allow_null=True)
    product_type = serializers.CharField(allow_null=True)
    space = serializers.CharField(allow_null=True, help_text="The space's slug.")
    url = serializers.CharField(allow_null=True, help_text="The product's page.")


class LineageEdgeSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    upstream = serializers.CharField(help_text="Key of the upstream node.")
    downstream = serializers.CharField(help_text="Key of the downstream node.")
    removable = serializers.BooleanField(help_text="Whether you may remove this edge.")


class LineageGraphSerializer(serializers.Serializer):
    depth = serializers.IntegerField()
    center = serializers.CharField(source="center.key", help_text="Key of the product asked about.")
    nodes = LineageNodeSerializer(many=True)
    edges = LineageEdgeSerializer(many=True)


class LineageEdgeCreateSerializer(serializers.Serializer):
    """Exactly one of the two: the other end is the product in the path."""

    upstream_id = serializers.UUIDField(required=False, help_text="Add this product as a source of the product.")
    downstream_id = serializers.UUIDField(required=False, help_text="Add this product as a consumer of the product.")

    def validate(self, attrs):
        if ("upstream_id" in attrs) == ("downstream_id" in attrs):
            raise serializers.ValidationError("Give exactly one of upstream_id and downstream_id.")
        return attrs


_EDGE_ID = uuid_path_parameter("edge_id", "The lineage edge's id.")
_DEPTH = OpenApiParameter("depth", OpenApiTypes.INT, OpenApiParameter.QUERY, enum=[1, 2, 3],
                          description="Hops upstream and downstream, 1 to 3 (default 1).")


class LineageView(ProductView):
    serializer_class = LineageGraphSerializer

    def graph(self, product, depth, **kwargs):
        return self.answer(lineage.lineage_graph(user=self.request.user, product=product, depth=depth), **kwargs)

    @extend_schema(tags=["lineage"], summary="The lineage graph around a product",
                   description="Products you cannot see are redacted placeholders: no id, name, type or space.",
                   parameters=[PRODUCT_ID, _DEPTH], responses=responses({200: LineageGraphSerializer}, 400, 404))
    def get(self, request, product_id):
        depth = self.query_choice("depth", ["1", "2", "3"])
        return self.graph(self.product(), int(depth) if depth else 1)

    @extend_schema(tags=["lineage"], summary="Add a source or a consumer",
                   description="Needs edit access on the downstream product and view access on the upstream one. "
                   "Self-loops, duplicates and cycles are refused (400 `lineage_self_loop`, `lineage_duplicate`, "
                   "`lineage_cycle`, the last naming the path that would close the loop). Answers the graph at depth 1.",
                   parameters=[PRODUCT_ID], request=LineageEdgeCreateSerializer,
                   responses=responses({201: LineageGraphSerializer}, 400, 403, 404))
    def post(self, request, product_id):
        product = self.product()
        body = self.valid_body(LineageEdgeCreateSerializer)
        if "upstream_id" in body:
            other = catalog_selectors.visible_product(user=request.user, product_id=body["upstream_id"])
            lineage.edge_add(actor=request.user, upstream=other, downstream=product)
        else:
            other = catalog_selectors.visible_product(user=request.user, product_id=body["downstream_id"])
            lineage.edge_add(actor=request.user, upstream=product, downstream=other)
        return self.graph(product, 1, code=201)


class LineageEdgeView(ProductView):
    @extend_schema(tags=["lineage"], summary="Remove a lineage edge of the product",
                   description="Needs edit access on either end.",
                   parameters=[PRODUCT_ID, _EDGE_ID], responses=responses({204: None}, 403, 404))
    def delete(self, request, product_id, edge_id):
        edge = lineage.edge_for(user=request.user, product=self.product(), edge_id=edge_id)
        lineage.edge_remove(actor=request.user, edge=edge)
        return self.no_content()
