from django.contrib import admin, messages

from catalog import access
from modelrepo import rules
from modelrepo.models import Artifact, ModelDetails, ModelVersion


@admin.register(ModelDetails)
class ModelDetailsAdmin(admin.ModelAdmin):
    """Browsing only: records change through the UI or the API, where the change policy applies."""

    list_display = ["product", "model_family", "task_type", "deployment_status", "risk_classification", "lifecycle_stage"]
    list_filter = ["model_family", "task_type", "deployment_status", "risk_classification", "lifecycle_stage", "is_gpai"]
    search_fields = ["product__name", "architecture", "framework", "vendor"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in ModelDetails._meta.fields]

    def get_queryset(self, request):
        return access.restrict(super().get_queryset(request), request.user, product_path="product__").select_related(
            "product__space"
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class _ReleaseLockedAdmin(admin.ModelAdmin):
    """Operators browse versions and artifacts here; every field is read-only and nothing can
    be added or deleted, so a released version (and its files) cannot change through the
    admin. Writes go through the UI or the API, where the services and the change policy apply."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def _released_version(self, obj):
        raise NotImplementedError

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        version = self._released_version(obj) if obj is not None else None
        if version is not None:
            messages.warning(request, rules.version_edit_refusal(version).message)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(ModelVersion)
class ModelVersionAdmin(_ReleaseLockedAdmin):
    list_display = ["label", "product", "status", "released_at", "deprecated", "yanked", "created_at"]
    list_filter = ["status", "deprecated", "yanked", "kind"]
    search_fields = ["label", "product__name"]

    def get_queryset(self, request):
        return access.restrict(super().get_queryset(request), request.user, product_path="product__").select_related(
            "product__space"
        )

    def _released_version(self, obj):
        return obj if obj.is_released else None


@admin.register(Artifact)
class ArtifactAdmin(_ReleaseLockedAdmin):
    list_display = ["file_name", "product", "version_label", "upload_status", "safety", "integrity", "created_at"]
    list_filter = ["upload_status", "safety", "integrity", "detected_format", "kind"]
    search_fields = ["file_name", "sha256", "product__name"]

    def get_queryset(self, request):
        return access.restrict(super().get_queryset(request), request.user, product_path="product__").select_related(
            "product__space", "version"
        )

    def _released_version(self, obj):
        return obj.version if obj.version is not None and obj.version.is_released else None
