"""Filters shared by every list: `updated_since` plus the resource's own (django-filter).

Foreign keys are filtered by UUID (`UUIDFilter`), never with a model-choice filter: that would
look the row up among all rows and answer differently for "exists but hidden" and "missing".
"""

import datetime

import django_filters
from django.db.models import Q
from rest_framework.exceptions import ValidationError


class SinceFilter(django_filters.IsoDateTimeFilter):
    """ISO 8601 with any offset, normalised to UTC before it reaches the database (which
    refuses offsets beyond ±16 hours); a moment outside the calendar is a 400."""

    def filter(self, qs, value):
        if value is not None:
            try:
                value = value.astimezone(datetime.UTC)
            except (OverflowError, ValueError):
                raise ValidationError({"updated_since": ["This time is out of range."]}) from None
        return super().filter(qs, value)


def since_filter(field_name: str = "updated_at") -> SinceFilter:
    return SinceFilter(
        field_name=field_name,
        lookup_expr="gte",
        help_text="Only rows changed at or after this ISO 8601 time, e.g. 2026-11-26T09:00:00Z.",
    )


class SyncFilterSet(django_filters.FilterSet):
    updated_since = since_filter()

    search_fields: tuple[str, ...] = ()

    def is_valid(self) -> bool:
        """Also refuse present-but-empty parameters (`?status=`): a typed filter with no value
        is a client mistake, not "no filter"; free text (`search`) may be empty."""
        self.form.is_valid()
        for name in self.filters:
            if name != "search" and name in self.data and self.data.get(name) == "":
                self.form.add_error(name, "Give a value, or leave the parameter out.")
        return not self.form.errors

    def filter_search(self, queryset, name, value):
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value})
        return queryset.filter(condition)


def search_filter(help_text: str = "Case-insensitive text search.") -> django_filters.CharFilter:
    return django_filters.CharFilter(method="filter_search", max_length=200, help_text=help_text)


def uuid_filter(field_name: str, help_text: str) -> django_filters.UUIDFilter:
    return django_filters.UUIDFilter(field_name=field_name, help_text=help_text)
