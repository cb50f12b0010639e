"""API views of governance: audit events (filtered, exportable) and product roles."""

from django.db.models import Q
from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from catalog.api.scopes import member_organization, visible_space
from catalog.choices import OrganizationRole, SpaceRole
from catalog.models import OrganizationMembership, SpaceMembership
from catalog import access
from catalog import selectors as catalog_selectors
from governance import selectors
from catalog import roles
from governance.api.serializers import AuditEventSerializer, ProductRoleCreateSerializer, ProductRoleSerializer
from governance.filtersets import AuditEventFilterSet
from catalog.models import AuditEvent, ProductRole
from common.api.schema import QarionAutoSchema, responses, uuid_path_parameter
from common.errors import NotFound, PermissionDenied

_EXPORT = OpenApiParameter(
    "export", OpenApiTypes.STR, OpenApiParameter.QUERY, enum=["csv", "jsonl"],
    description="Stream the filtered events as a CSV or JSON Lines download instead of a JSON page.",
)
_SCOPE = [
    OpenApiParameter("organization", OpenApiTypes.STR, OpenApiParameter.QUERY,
                     description="Organization slug: its whole chain (organization admins)."),
    OpenApiParameter("space", OpenApiTypes.STR, OpenApiParameter.QUERY,
                     description="Space slug: its events (space admins and organization admins)."),
]
_PRODUCT_ID = uuid_path_parameter("product_id", "The product's id.")


def _managed_events(user):
    """Events of every organization ``user`` administers and every space they are admin of."""
    if user.is_superuser:
        return AuditEvent.objects.all()
    org_ids = OrganizationMembership.objects.filter(user=user, role=OrganizationRole.ORG_ADMIN).values_list(
        "organization_id", flat=True)
    space_ids = [str(pk) for pk in SpaceMembership.objects.filter(user=user, role=SpaceRole.ADMIN).values_list(
        "space_id", flat=True)]
    return AuditEvent.objects.filter(Q(organization_id__in=list(org_ids)) | Q(space_id__in=space_ids))


class AuditEventListView(generics.GenericAPIView):
    schema = QarionAutoSchema()
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilterSet
    queryset = AuditEvent.objects.none()

    @extend_schema(
        tags=["audit"],
        summary="Audit events, newest first",
        description="The events you may read: organization admins see their organization's chain, space admins "
        "their spaces' events. Narrow with `organization` or `space`, and filter by `actor` (usernames), `action` "
        "(exact, or a prefix ending in `.`), `target` (id or part of a name), `target_type`, `since` and `until` "
        "(days, inclusive). `export=csv` or `export=jsonl` streams every matching event as a download.",
        parameters=[*_SCOPE, _EXPORT],
        responses=responses({200: AuditEventSerializer(many=True)}, 400, 403, 404),
    )
    def get(self, request):
        events = self._scoped(request)
        filterset = AuditEventFilterSet(request.GET, queryset=events.order_by("-created_at", "-sequence"))
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        export = request.GET.get("export")
        if export in ("csv", "jsonl"):
            lines = selectors.csv_lines if export == "csv" else selectors.jsonl_lines
            content_type = "text/csv; charset=utf-8" if export == "csv" else "application/jsonl; charset=utf-8"
            response = StreamingHttpResponse(lines(filterset.qs), content_type=content_type)
            response["Content-Disposition"] = content_disposition_header(True, f"audit-events.{export}")
            response["X-Content-Type-Options"] = "nosniff"
            return response
        page = self.paginate_queryset(filterset.qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def _scoped(self, request):
        space_slug, org_slug = request.GET.get("space"), request.GET.get("organization")
        if space_slug:
            return selectors.space_audit_events(user=request.user, space=visible_space(request.user, space_slug))
        if org_slug:
            organization = member_organization(request.user, org_slug)
            return selectors.organization_audit_events(user=request.user, organization=organization)
        return _managed_events(request.user)


def _product(request, product_id):
    return catalog_selectors.visible_product(user=request.user, product_id=product_id)


class ProductRoleListView(generics.GenericAPIView):
    schema = QarionAutoSchema()
    serializer_class = ProductRoleSerializer
    queryset = ProductRole.objects.none()
    filter_backends = []

    @extend_schema(
        tags=["product roles"], summary="The product's roles", parameters=[_PRODUCT_ID],
        responses=responses({200: ProductRoleSerializer(many=True)}, 404),
    )
    def get(self, request, product_id):
        product = _product(request, product_id)
        page = self.paginate_queryset(catalog_selectors.product_roles(product=product))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        tags=["product roles"], summary="Assign a product role",
        description="Product owners and space admins only. 409 `duplicate` when the user already holds the role.",
        parameters=[_PRODUCT_ID], request=ProductRoleCreateSerializer,
        responses=responses({201: ProductRoleSerializer}, 400, 403, 404, 409),
    )
    def post(self, request, product_id):
        product = _product(request, product_id)
        if not access.can(request.user, access.ASSIGN_ROLES, product):
            raise PermissionDenied("Only the product's owners and space admins can assign product roles.")
        body = ProductRoleCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = roles.resolve_assignee(body.validated_data["username"])
        product_role = roles.product_role_assign(actor=request.user, product=product, user=user,
                                                    role=body.validated_data["role"])
        return Response(ProductRoleSerializer(product_role).data, status=status.HTTP_201_CREATED)


class ProductRoleDetailView(generics.GenericAPIView):
    schema = QarionAutoSchema()
    serializer_class = ProductRoleSerializer
    queryset = ProductRole.objects.none()
    filter_backends = []

    @extend_schema(
        tags=["product roles"], summary="Remove a product role",
        parameters=[_PRODUCT_ID, OpenApiParameter("role_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses=responses({204: None}, 403, 404),
    )
    def delete(self, request, product_id, role_id):
        product = _product(request, product_id)
        product_role = ProductRole.objects.filter(product=product, pk=role_id).select_related("user", "product").first()
        if product_role is None:
            raise NotFound("No such role on this product.")
        roles.product_role_remove(actor=request.user, product_role=product_role)
        return Response(status=status.HTTP_204_NO_CONTENT)
