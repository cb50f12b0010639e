from django.contrib import admin

from governance import access
from modelrepo.models import ModelDetails


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
