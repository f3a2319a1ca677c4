"""Admin for datasets. Files are read-only here: uploads go through the services, which hash,
sniff, store and audit them."""

from django.contrib import admin

from apps.access.policy import visible
from apps.datasets.models import Dataset, DatasetFile, DataUseCondition, DataUsePolicy, DuoTerm


class DatasetFileInline(admin.TabularInline):
    model = DatasetFile
    extra = 0
    can_delete = False
    fields = ("file_name", "size", "content_type", "sha256", "uploaded_by", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ("title", "project", "steward_organisation", "access_tier", "status")
    list_filter = ("access_tier", "status")
    search_fields = ("title", "project__acronym", "steward_organisation__name")
    raw_id_fields = ("project", "steward_organisation", "created_by")
    filter_horizontal = ("allowed_organisations",)
    readonly_fields = ("status", "published_at")
    inlines = [DatasetFileInline]

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("project", "steward_organisation")
        return visible(request.user, qs)

    # Read-only: changes go through the pages' services, which validate, audit and notify.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DatasetFile)
class DatasetFileAdmin(admin.ModelAdmin):
    list_display = ("file_name", "dataset", "size", "content_type", "created_at")
    search_fields = ("file_name", "sha256", "dataset__title")
    readonly_fields = [field.name for field in DatasetFile._meta.fields]

    def get_queryset(self, request):
        return visible(request.user, super().get_queryset(request).select_related("dataset"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DuoTerm)
class DuoTermAdmin(admin.ModelAdmin):
    list_display = ("id", "shorthand", "label", "kind", "requires_value")
    list_filter = ("kind",)
    search_fields = ("id", "shorthand", "label")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DataUseConditionInline(admin.TabularInline):
    model = DataUseCondition
    extra = 0
    can_delete = False
    readonly_fields = ("term", "value")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(DataUsePolicy)
class DataUsePolicyAdmin(admin.ModelAdmin):
    """Read-only: grants remember the policy version they were made under, so a version is
    never edited; the access pages write new versions."""

    list_display = ("dataset", "version", "duo_release", "created_at")
    readonly_fields = ("dataset", "version", "duo_release", "created_by")
    inlines = [DataUseConditionInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
