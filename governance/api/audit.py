"""API of the audit log: the events a caller may read, filtered, a page at a time or streamed
as a CSV or JSON Lines download."""

from django.db.models import Q
from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from catalog import audit
from catalog.api.scopes import member_organization, visible_space
from catalog.choices import OrganizationRole, SpaceRole
from catalog.models import AuditEvent, OrganizationMembership, SpaceMembership
from common.api.schema import responses
from common.api.views import ApiView
from governance import selectors
from governance.filtersets import AuditEventFilterSet


class AuditEventSerializer(serializers.ModelSerializer):
    organization = serializers.SerializerMethodField()

    class Meta:
        model = AuditEvent
        fields = ["id", "chain", "organization", "sequence", "actor_id", "actor_name", "action", "target_type",
                  "target_id", "target_name", "space_id", "space_slug", "changes", "ip", "request_id", "created_at",
                  "prev_hash", "hash"]
        read_only_fields = fields

    def get_organization(self, event) -> str | None:
        return str(event.organization_id) if event.organization_id else None


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


def _managed_events(user):
    """Events of every organization ``user`` administers and every space they are admin of."""
    if user.is_superuser:
        return AuditEvent.objects.all()
    org_ids = OrganizationMembership.objects.filter(user=user, role=OrganizationRole.ORG_ADMIN).values_list(
        "organization_id", flat=True)
    space_ids = [str(pk) for pk in SpaceMembership.objects.filter(user=user, role=SpaceRole.ADMIN).values_list(
        "space_id", flat=True)]
    return AuditEvent.objects.filter(Q(organization_id__in=list(org_ids)) | Q(space_id__in=space_ids))


class AuditEventListView(ApiView):
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilterSet

    @extend_schema(
        tags=["audit"],
        summary="Audit events, newest first",
        description="The events you may read: organization admins see their organization's chain, space admins "
        "their spaces' events. Narrow with `organization` or `space`, and filter by `actor` (usernames), `action` "
        "(exact, or a prefix ending in `.`), `target` (id or part of a name), `target_type`, `since` and `until` "
        "(days, inclusive). `export=csv` or `export=jsonl` streams every matching event as a download.",
        parameters=[*_SCOPE, _EXPORT],
        responses=responses({
            (200, "application/json"): AuditEventSerializer(many=True),
            (200, "text/csv"): OpenApiTypes.STR,
            (200, "application/jsonl"): OpenApiTypes.STR,
        }, 400, 403, 404),
    )
    def get(self, request):
        events = self._scoped(request)
        filterset = AuditEventFilterSet(request.GET, queryset=events.order_by("-created_at", "-sequence"))
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        export = request.GET.get("export")
        if export is not None and export not in ("csv", "jsonl"):
            raise ValidationError({"export": ["Use export=csv or export=jsonl, or leave it out for a page of JSON."]})
        if export in ("csv", "jsonl"):
            lines = selectors.csv_lines if export == "csv" else selectors.jsonl_lines
            content_type = "text/csv; charset=utf-8" if export == "csv" else "application/jsonl; charset=utf-8"
            response = StreamingHttpResponse(lines(filterset.qs, request.user), content_type=content_type)
            response["Content-Disposition"] = content_disposition_header(True, f"audit-events.{export}")
            response["X-Content-Type-Options"] = "nosniff"
            return response
        page = audit.redact(self.paginate_queryset(filterset.qs), request.user)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def _scoped(self, request):
        space_slug, org_slug = request.GET.get("space"), request.GET.get("organization")
        if space_slug:
            return selectors.space_audit_events(user=request.user, space=visible_space(request.user, space_slug))
        if org_slug:
            organization = member_organization(request.user, org_slug)
            return selectors.organization_audit_events(user=request.user, organization=organization)
        return _managed_events(request.user)

