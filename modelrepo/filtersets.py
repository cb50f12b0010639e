"""One FilterSet for model records, used by the space and organization pages and the API."""

import django_filters
from django import forms
from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from catalog import health
from catalog.choices import AI_PRODUCT_TYPES, ProductRoleName, ProductType
from catalog.models import Product, ProductRole
from modelrepo.choices import DeploymentStatus, LifecycleStage, ModelFamily, RiskClassification, TaskType


class CommaSeparatedMultipleChoiceField(forms.MultipleChoiceField):
    """Accepts repeated parameters (``?x=a&x=b``, what checkboxes send) and comma-separated
    values (``?x=a,b``, what API clients send), or both."""

    def to_python(self, value):
        values = super().to_python(value)
        return [part.strip() for item in values for part in str(item).split(",") if part.strip()]


class CommaSeparatedMultipleChoiceFilter(django_filters.MultipleChoiceFilter):
    field_class = CommaSeparatedMultipleChoiceField


class CommaSeparatedCharField(forms.CharField):
    """Free text values from repeated parameters and/or comma-separated lists."""

    class Widget(forms.TextInput):
        def value_from_datadict(self, data, files, name):
            values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
            return ",".join(v for v in values if v)

    widget = Widget

    def clean(self, value):
        value = super().clean(value)
        return [part.strip() for part in value.split(",") if part.strip()] if value else []


@extend_schema_field(OpenApiTypes.STR)
class CommaSeparatedValuesFilter(django_filters.Filter):
    """Free-text values (tag names, space slugs), several separated by commas. Matching goes
    through a subquery, so a record with two matching tags still appears once."""

    field_class = CommaSeparatedCharField

    def filter(self, qs, value):
        if not value:
            return qs
        matching = qs.model.objects.filter(**{f"{self.field_name}__in": value}).values("pk")
        return qs.filter(pk__in=matching)


ARCHIVED_CHOICES = (("false", "Active"), ("true", "Archived"), ("all", "All"))
ORDERING_FIELDS = (
    ("name", "name"),
    ("updated_at", "updated_at"),
    ("created_at", "created_at"),
    ("product_type", "product_type"),
    ("model_details__model_family", "model_family"),
    ("model_details__deployment_status", "deployment_status"),
    ("model_details__risk_classification", "risk_classification"),
    ("model_details__lifecycle_stage", "lifecycle_stage"),
    ("space__name", "space"),
    ("health", "health"),
)
HEALTH_CHOICES = (
    ("failing", "Failing a check"),
    ("passing", "All checks pass"),
    ("unchecked", "Not checked yet"),
)


class ModelRecordFilterSet(django_filters.FilterSet):
    search = django_filters.CharFilter(method="filter_search", label="Search", max_length=200)
    model_family = CommaSeparatedMultipleChoiceFilter(
        field_name="model_details__model_family", choices=ModelFamily.choices, label="Model family"
    )
    product_type = CommaSeparatedMultipleChoiceFilter(
        field_name="product_type",
        choices=[(t.value, t.label) for t in AI_PRODUCT_TYPES],
        label="Product type",
    )
    deployment_status = CommaSeparatedMultipleChoiceFilter(
        field_name="model_details__deployment_status", choices=DeploymentStatus.choices, label="Deployment status"
    )
    task_type = CommaSeparatedMultipleChoiceFilter(
        field_name="model_details__task_type", choices=TaskType.choices, label="Task type"
    )
    risk_classification = CommaSeparatedMultipleChoiceFilter(
        field_name="model_details__risk_classification", choices=RiskClassification.choices, label="Risk classification"
    )
    lifecycle_stage = CommaSeparatedMultipleChoiceFilter(
        field_name="model_details__lifecycle_stage", choices=LifecycleStage.choices, label="Lifecycle stage"
    )
    tag = CommaSeparatedValuesFilter(field_name="tags__name", label="Tag")
    space = CommaSeparatedValuesFilter(field_name="space__slug", label="Space")
    role = CommaSeparatedMultipleChoiceFilter(
        choices=ProductRoleName.choices, method="filter_my_role", label="My role"
    )
    owner = CommaSeparatedValuesFilter(method="filter_owner", label="Owner")
    health = django_filters.ChoiceFilter(choices=HEALTH_CHOICES, method="filter_health", label="Health")
    archived = django_filters.ChoiceFilter(
        choices=ARCHIVED_CHOICES, method="filter_archived", label="Archived", empty_label=None
    )
    ordering = django_filters.OrderingFilter(fields=ORDERING_FIELDS, label="Order by")

    class Meta:
        model = Product
        fields = []

    def __init__(self, data=None, *args, **kwargs):
        # "archived" defaults to active records only, also when the parameter is absent.
        if data is not None:
            data = data.copy()
            if not data.get("archived"):
                data["archived"] = "false"
        super().__init__(data, *args, **kwargs)

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(slug__icontains=value)
            | Q(description__icontains=value)
            | Q(model_details__architecture__icontains=value)
            | Q(model_details__framework__icontains=value)
            | Q(pk__in=Product.objects.filter(tags__name__icontains=value).values("pk"))
        )

    def filter_my_role(self, queryset, name, value):
        """Records on which the current user holds one of the given product roles."""
        if not value:
            return queryset
        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated:
            return queryset.none()
        held = ProductRole.objects.filter(user=user, role__in=value).values("product_id")
        return queryset.filter(pk__in=held)

    def filter_owner(self, queryset, name, value):
        """Records owned (product role ``owner``) by one of the given usernames."""
        if not value:
            return queryset
        owned = ProductRole.objects.filter(role=ProductRoleName.OWNER, user__username__in=value).values("product_id")
        return queryset.filter(pk__in=owned)

    def filter_archived(self, queryset, name, value):
        if value == "true":
            return queryset.filter(is_archived=True)
        if value == "all":
            return queryset
        return queryset.filter(is_archived=False)

    def filter_health(self, queryset, name, value):
        return health.filter_by_health(queryset, value)

    def filter_queryset(self, queryset):
        ordering = self.form.cleaned_data.get("ordering") or []
        if any(field.lstrip("-") == "health" for field in ordering):
            queryset = health.with_health(queryset)
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("ordering"):
            queryset = queryset.order_by("name")
        return queryset


PRODUCT_TYPE_LABELS = dict(ProductType.choices)
