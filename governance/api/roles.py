"""API of product roles: who holds which role on a product (owners assign and remove them)."""

from django.contrib.auth import get_user_model
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import serializers

from catalog import access, roles
from catalog import selectors as catalog_selectors
from catalog.api.scopes import PRODUCT_ID, ProductView, permitted
from catalog.choices import ProductRoleName
from catalog.models import ProductRole
from common.api.schema import responses
from common.errors import NotFound


class ProductRoleSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    user_id = serializers.IntegerField(source="user.pk", read_only=True)

    class Meta:
        model = ProductRole
        fields = ["id", "user_id", "username", "role", "created_at"]
        read_only_fields = fields


class ProductRoleCreateSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=get_user_model()._meta.get_field("username").max_length)
    role = serializers.ChoiceField(choices=ProductRoleName.choices)


class ProductRoleListView(ProductView):
    serializer_class = ProductRoleSerializer

    @extend_schema(
        tags=["product roles"], summary="The product's roles", parameters=[PRODUCT_ID],
        responses=responses({200: ProductRoleSerializer(many=True)}, 404),
    )
    def get(self, request, product_id):
        return self.answer_page(catalog_selectors.product_roles(product=self.product()))

    @extend_schema(
        tags=["product roles"], summary="Assign a product role",
        description="Product owners and space admins only. 409 `duplicate` when the user already holds the role.",
        parameters=[PRODUCT_ID], request=ProductRoleCreateSerializer,
        responses=responses({201: ProductRoleSerializer}, 400, 403, 404, 409),
    )
    def post(self, request, product_id):
        product = permitted(request.user, access.ASSIGN_ROLES, self.product(),
                            "Only the product's owners and space admins can assign product roles.")
        body = self.valid_body(ProductRoleCreateSerializer)
        user = roles.resolve_assignee(body["username"])
        return self.created(roles.product_role_assign(actor=request.user, product=product, user=user, role=body["role"]))


class ProductRoleDetailView(ProductView):
    @extend_schema(
        tags=["product roles"], summary="Remove a product role",
        parameters=[PRODUCT_ID, OpenApiParameter("role_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses=responses({204: None}, 403, 404),
    )
    def delete(self, request, product_id, role_id):
        product = self.product()
        product_role = ProductRole.objects.filter(product=product, pk=role_id).select_related("user", "product").first()
        if product_role is None:
            raise NotFound("No such role on this product.")
        roles.product_role_remove(actor=request.user, product_role=product_role)
        return self.no_content()
