"""Admin for datasets. Files are read-only here: uploads go through the services, which hash,
sniff, store and audit them."""

from django.contrib import admin

from apps.access.admin_base import ReadOnlyAdmin, ReadOnlyInline
from apps.datasets.models import Dataset, DatasetFile, DataUseCondition, DataUsePolicy, DuoTerm
from apps.items.admin import ItemAdmin, PartAdmin


class DatasetFileInline(ReadOnlyInline):
    model = DatasetFile
    fields = ("file_name", "size", "content_type", "sha256", "uploaded_by", "created_at")
    readonly_fields = fields


@admin.register(Dataset)
class DatasetAdmin(ItemAdmin):
    list_display = ("title", "project", "steward_organisation", "access_tier", "status")
    list_filter = ("access_tier", "status")
    search_fields = ("title", "project__acronym", "steward_organisation__name")
    raw_id_fields = ("project", "steward_organisation", "created_by")
    list_select_related = ("project", "steward_organisation")
    inlines = [DatasetFileInline]


@admin.register(DatasetFile)
class DatasetFileAdmin(PartAdmin):
    list_display = ("file_name", "dataset", "size", "content_type", "created_at")


@admin.register(DuoTerm)
class DuoTermAdmin(ReadOnlyAdmin):
    list_display = ("id", "shorthand", "label", "kind", "requires_value")
    list_filter = ("kind",)
    search_fields = ("id", "shorthand", "label")


class DataUseConditionInline(ReadOnlyInline):
    model = DataUseCondition
    readonly_fields = ("term", "value")


@admin.register(DataUsePolicy)
class DataUsePolicyAdmin(ReadOnlyAdmin):
    """Read-only: grants remember the policy version they were made under, so a version is
    never edited; the access pages write new versions."""

    list_display = ("dataset", "version", "duo_release", "created_at")
    inlines = [DataUseConditionInline]
