from django.contrib import admin

from governance import access, audit
from governance.models import AuditChainHead, AuditEvent, ProductRole


@admin.register(ProductRole)
class ProductRoleAdmin(admin.ModelAdmin):
    list_display = ["product", "user", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["product__name", "user__username"]
    autocomplete_fields = ["user"]
    raw_id_fields = ["product"]

    def get_queryset(self, request):
        return access.restrict(super().get_queryset(request), request.user, product_path="product__").select_related(
            "product", "user"
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit.record(actor=request.user, action="product_role.set", target=obj.product,
                     changes={"user": {"old": None, "new": obj.user.get_username()}, "role": {"old": None, "new": obj.role}})

    def delete_model(self, request, obj):
        audit.record(actor=request.user, action="product_role.removed", target=obj.product,
                     changes={"user": {"old": obj.user.get_username(), "new": None}, "role": {"old": obj.role, "new": None}})
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log is append-only: operators read it, nobody edits it."""

    list_display = ["sequence", "created_at", "actor_name", "action", "target_type", "target_name", "space_slug", "ip"]
    list_filter = ["action", "target_type"]
    search_fields = ["actor_name", "target_name", "target_id", "request_id"]
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD")

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        return {}


@admin.register(AuditChainHead)
class AuditChainHeadAdmin(AuditEventAdmin):
    list_display = ["chain", "sequence", "hash", "updated_at"]
    list_filter = []
    search_fields = ["chain"]
    date_hierarchy = None

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in AuditChainHead._meta.fields]
