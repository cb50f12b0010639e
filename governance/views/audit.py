"""The audit log pages: the space and organization logs, with CSV and JSON Lines exports. Only
space and organization admins read them; others get 403, and what they may not see 404."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from catalog import audit
from catalog import selectors as catalog_selectors
from governance import selectors
from governance.filtersets import AuditEventFilterSet

AUDIT_PAGE_SIZE = 50
EXPORTS = {
    "csv": ("text/csv; charset=utf-8", "csv", selectors.csv_lines),
    "jsonl": ("application/jsonl; charset=utf-8", "jsonl", selectors.jsonl_lines),
}


def _audit_page(request, events, scope, **context):
    """The log of ``scope`` (a space or an organization), or its export."""
    filterset = AuditEventFilterSet(request.GET, queryset=events)
    filtered = filterset.qs
    export = request.GET.get("export")
    if export in EXPORTS:
        content_type, extension, lines = EXPORTS[export]
        response = StreamingHttpResponse(lines(filtered, request.user), content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(True, f"audit-{scope.slug}.{extension}")
        response["X-Content-Type-Options"] = "nosniff"
        return response
    page = Paginator(filtered, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = audit.redact(page.object_list, request.user)
    context.update(title=f"Audit log of {scope.name}", filterset=filterset, page_obj=page, events=page.object_list,
                   filter_errors=[m for ms in filterset.errors.values() for m in ms])
    return render(request, "governance/audit_log.html", context)


@login_required
@require_GET
def space_audit(request, space_slug):
    space = catalog_selectors.visible_space(request.user, space_slug)
    events = selectors.space_audit_events(user=request.user, space=space)
    return _audit_page(request, events, space, space=space, organization=space.organization)


@login_required
@require_GET
def organization_audit(request, org_slug):
    organization = catalog_selectors.visible_organization(request.user, org_slug)
    events = selectors.organization_audit_events(user=request.user, organization=organization)
    return _audit_page(request, events, organization, organization=organization)
