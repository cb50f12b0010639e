"""One FilterSet for audit events, used by the space and organization audit pages, their
exports and the API."""

import datetime

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from catalog.models import AuditEvent


class _CommaSeparatedField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        return [part.strip() for part in value.split(",") if part.strip()] if value else []


@extend_schema_field(OpenApiTypes.STR)
class _CommaSeparatedFilter(django_filters.Filter):
    field_class = _CommaSeparatedField


class AuditEventFilterSet(django_filters.FilterSet):
    actor = _CommaSeparatedFilter(method="filter_actor", label="Actor",
                                  help_text="Usernames, comma-separated.")
    action = _CommaSeparatedFilter(method="filter_action", label="Action",
                                   help_text="Actions (`product.created`) or prefixes (`artifact.`), comma-separated.")
    target = django_filters.CharFilter(method="filter_target", label="Target", max_length=300,
                                       help_text="A target id, or part of a target's name.")
    target_type = django_filters.CharFilter(field_name="target_type", label="Target type", max_length=64)
    since = django_filters.DateFilter(method="filter_since", label="From", help_text="First day (YYYY-MM-DD).")
    until = django_filters.DateFilter(method="filter_until", label="To", help_text="Last day (YYYY-MM-DD), inclusive.")

    class Meta:
        model = AuditEvent
        fields = []

    def filter_actor(self, queryset, name, value):
        return queryset.filter(actor_name__in=value) if value else queryset

    def filter_action(self, queryset, name, value):
        if not value:
            return queryset
        query = Q()
        for item in value:
            query |= Q(action__startswith=item) if item.endswith(".") else Q(action=item)
        return queryset.filter(query)

    def filter_target(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(target_id=value) | Q(target_name__icontains=value)) if value else queryset

    @staticmethod
    def _day_start(day):
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))

    def filter_since(self, queryset, name, value):
        return queryset.filter(created_at__gte=self._day_start(value))

    def filter_until(self, queryset, name, value):
        return queryset.filter(created_at__lt=self._day_start(value + datetime.timedelta(days=1)))
