"""Filters shared by every list: `updated_since` plus the resource's own (django-filter).

Foreign keys are filtered by UUID (`UUIDFilter`), never with a model-choice filter: that would
look the row up among all rows and answer differently for "exists but hidden" and "missing".
"""

import datetime

import django_filters
from django.db.models import Q
from rest_framework.exceptions import ValidationError

from apps.core.kinds import kind_of_model
from apps.core.models import AccessTier


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


def item_filter(model) -> type[SyncFilterSet]:
    """The filters every shared kind's item list has (tier, project, text); a kind's filter
    subclasses it, adding its own and its `Meta`."""
    plural = kind_of_model(model._meta.label).plural
    return type(
        f"{model.__name__}ItemFilter",
        (SyncFilterSet,),
        {
            "access_tier": django_filters.ChoiceFilter(choices=AccessTier.choices),
            "project": uuid_filter("project_id", f"{plural} of this project."),
            "search": search_filter("Matches the title or description."),
            "search_fields": ("title", "description"),
        },
    )


def version_filter(model) -> type[SyncFilterSet]:
    """The filter of a shared kind's versions: status, item, project, text."""
    kind = kind_of_model(model._meta.label)
    item = model.item_field
    meta = type(
        "Meta", (), {"model": model, "fields": ["status", item, "project", "updated_since"]}
    )
    return type(
        f"{model.__name__}Filter",
        (SyncFilterSet,),
        {
            "status": django_filters.ChoiceFilter(choices=model.Status.choices),
            item: uuid_filter(f"{item}_id", f"Versions of this {kind.label.lower()}."),
            "project": uuid_filter(
                f"{item}__project_id", f"Versions of this project's {kind.plural.lower()}."
            ),
            "search": search_filter("Matches the change note or file name."),
            "search_fields": ("change_note", "file_name"),
            "Meta": meta,
        },
    )
