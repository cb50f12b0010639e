"""Shapes of the lineage graph and of a new edge."""

from rest_framework import serializers


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
