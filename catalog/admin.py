"""Operator screens. Organizations, spaces, memberships and limits are managed here; every
change is audited like any service write. Products are browsed here and changed in the UI
or the API, where the domain rules and the change policy apply."""

from django.contrib import admin

from catalog import access, audit
from catalog.models import (
    ApiToken,
    Attachment,
    AuditChainHead,
    AuditEvent,
    Comment,
    Organization,
    OrganizationMembership,
    Product,
    ProductRole,
    Space,
    SpaceMembership,
    Tag,
)


class AuditedAdminMixin:
    """Records one audit event per admin save or delete."""

    audit_name = None

    def _audit_target(self, obj):
        return obj

    def save_model(self, request, obj, form, change):
        old = {}
        if change and form.changed_data:
            old = {f: form.initial.get(f) for f in form.changed_data}
        super().save_model(request, obj, form, change)
        new = {f: form.cleaned_data.get(f) for f in form.changed_data}
        action = f"{obj._meta.model_name}.{'updated' if change else 'created'}"
        if not change or form.changed_data:
            audit.record(actor=request.user, action=action, target=self._audit_target(obj),
                         changes=audit.diff(old, new), target_name=str(obj))

    def delete_model(self, request, obj):
        target = self._audit_target(obj)
        audit.record(actor=request.user, action=f"{obj._meta.model_name}.deleted", target=target, target_name=str(obj))
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class OrganizationMembershipInline(admin.TabularInline):
    model = OrganizationMembership
    extra = 0
    autocomplete_fields = ["user"]


class SpaceMembershipInline(admin.TabularInline):
    model = SpaceMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Space)
class SpaceAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "organization", "catalog_product_limit", "created_at"]
    list_filter = ["organization"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SpaceMembershipInline]

    def get_queryset(self, request):
        return access.visible_spaces(request.user).select_related("organization")


@admin.register(OrganizationMembership)
class OrganizationMembershipAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role", "organization"]
    search_fields = ["user__username", "user__email", "organization__name"]
    autocomplete_fields = ["user"]

    def _audit_target(self, obj):
        return obj.organization


@admin.register(SpaceMembership)
class SpaceMembershipAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "space", "role", "created_at"]
    list_filter = ["role", "space__organization", "space"]
    search_fields = ["user__username", "user__email", "space__name", "space__slug"]
    autocomplete_fields = ["user"]

    def _audit_target(self, obj):
        return obj.space


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created by their users; operators can see them and nothing secret."""

    list_display = ["name", "user", "prefix", "scope", "created_at", "last_used_at", "expires_at", "revoked_at"]
    list_filter = ["scope"]
    search_fields = ["name", "prefix", "user__username"]
    readonly_fields = [f.name for f in ApiToken._meta.fields]
    exclude = ["secret_sha256"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


class ReadOnlyAdminMixin:
    """Browsed here, changed only in the UI or the API, where the domain rules apply."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD") and super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Product)
class ProductAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "product_type", "space", "criticality", "sensitivity", "is_archived", "updated_at"]
    list_filter = ["product_type", "is_archived", "criticality", "sensitivity", "space__organization", "space"]
    search_fields = ["name", "slug", "description"]
    readonly_fields = [f.name for f in Product._meta.fields] + ["tags"]

    def get_queryset(self, request):
        return access.restrict(super().get_queryset(request), request.user).select_related("space")



class _ProductScopedReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Comments and attachments are written in the UI and the API (audited, permission-checked);
    operators browse them here."""

    def get_queryset(self, request):
        return access.restrict(super().get_queryset(request), request.user, product_path="product__").select_related(
            "product__space"
        )

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]



@admin.register(Comment)
class CommentAdmin(_ProductScopedReadOnlyAdmin):
    list_display = ["product", "author_name", "created_at", "edited_at", "deleted_at"]
    list_filter = ["product__space"]
    search_fields = ["product__name", "author_name", "body"]


@admin.register(Attachment)
class AttachmentAdmin(_ProductScopedReadOnlyAdmin):
    list_display = ["file_name", "product", "size_bytes", "uploaded_by_name", "created_at"]
    list_filter = ["product__space"]
    search_fields = ["file_name", "product__name", "sha256"]
    exclude = ["storage_key"]


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
