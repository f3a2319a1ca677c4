"""Filters shared by every list: `updated_since` plus the resource's own (django-filter).

Foreign keys are filtered by UUID (`UUIDFilter`), never with a model-choice filter: that would
look the row up among all rows and answer differently for "exists but hidden" and "missing".
"""

import django_filters
from django.db.models import Q


class SyncFilterSet(django_filters.FilterSet):
    updated_since = django_filters.IsoDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Only rows changed at or after this ISO 8601 time, e.g. 2026-11-26T09:00:00Z.",
    )

    search_fields: tuple[str, ...] = ()

    def filter_search(self, queryset, name, value):
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value})
        return queryset.filter(condition)


def search_filter(help_text: str = "Case-insensitive text search.") -> django_filters.CharFilter:
    return django_filters.CharFilter(method="filter_search", max_length=200, help_text=help_text)


def uuid_filter(field_name: str, help_text: str) -> django_filters.UUIDFilter:
    return django_filters.UUIDFilter(field_name=field_name, help_text=help_text)
