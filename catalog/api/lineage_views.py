"""API of a product's lineage: the graph around it, adding and removing edges."""

from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from catalog import lineage
from catalog.api.lineage_serializers import LineageEdgeCreateSerializer, LineageGraphSerializer
from catalog.models import LineageEdge
from catalog import selectors as catalog_selectors
from common.api.schema import QarionAutoSchema, responses, uuid_path_parameter

_PRODUCT_ID = uuid_path_parameter("product_id", "The product's id.")
_EDGE_ID = uuid_path_parameter("edge_id", "The lineage edge's id.")
_DEPTH = OpenApiParameter("depth", OpenApiTypes.INT, OpenApiParameter.QUERY, enum=[1, 2, 3],
                          description="Hops upstream and downstream, 1 to 3 (default 1).")


def _product(request, product_id):
    return catalog_selectors.visible_product(user=request.user, product_id=product_id)


class LineageView(generics.GenericAPIView):
    schema = QarionAutoSchema()
    serializer_class = LineageGraphSerializer
    queryset = LineageEdge.objects.none()
    filter_backends = []
    pagination_class = None

    def graph(self, request, product, depth):
        graph = lineage.lineage_graph(user=request.user, product=product, depth=depth)
        return LineageGraphSerializer(graph).data

    @extend_schema(tags=["lineage"], summary="The lineage graph around a product",
                   description="Products you cannot see are redacted placeholders: no id, name, type or space.",
                   parameters=[_PRODUCT_ID, _DEPTH], responses=responses({200: LineageGraphSerializer}, 404))
    def get(self, request, product_id):
        product = _product(request, product_id)
        return Response(self.graph(request, product, lineage.clamp_depth(request.query_params.get("depth"))))

    @extend_schema(tags=["lineage"], summary="Add a source or a consumer",
                   description="Needs edit access on the downstream product and view access on the upstream one. "
                   "Self-loops, duplicates and cycles are refused (400 `lineage_self_loop`, `lineage_duplicate`, "
                   "`lineage_cycle`, the last naming the path that would close the loop). Answers the graph at depth 1.",
                   parameters=[_PRODUCT_ID], request=LineageEdgeCreateSerializer,
                   responses=responses({201: LineageGraphSerializer}, 400, 403, 404))
    def post(self, request, product_id):
        product = _product(request, product_id)
        body = LineageEdgeCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if "upstream_id" in body.validated_data:
            other = _product(request, body.validated_data["upstream_id"])
            lineage.edge_add(actor=request.user, upstream=other, downstream=product)
        else:
            other = _product(request, body.validated_data["downstream_id"])
            lineage.edge_add(actor=request.user, upstream=product, downstream=other)
        return Response(self.graph(request, product, 1), status=status.HTTP_201_CREATED)


class LineageEdgeView(generics.GenericAPIView):
    schema = QarionAutoSchema()
    serializer_class = LineageGraphSerializer
    queryset = LineageEdge.objects.none()
    filter_backends = []

    @extend_schema(tags=["lineage"], summary="Remove a lineage edge of the product",
                   description="Needs edit access on either end.",
                   parameters=[_PRODUCT_ID, _EDGE_ID], responses=responses({204: None}, 403, 404))
    def delete(self, request, product_id, edge_id):
        product = _product(request, product_id)
        edge = lineage.edge_for(user=request.user, product=product, edge_id=edge_id)
        lineage.edge_remove(actor=request.user, edge=edge)
        return Response(status=status.HTTP_204_NO_CONTENT)
