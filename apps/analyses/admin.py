"""Admin for analyses: read-only, as for protocols (writes go through the services, which
hash, store, audit and notify)."""

from django.contrib import admin

from apps.access.policy import visible
from apps.analyses.models import Analysis, AnalysisVersion


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Analysis)
class AnalysisAdmin(ReadOnlyAdmin):
    list_display = ("title", "project", "category", "access_tier", "created_at")
    list_filter = ("access_tier", "category")
    search_fields = ("title", "project__acronym")

    def get_queryset(self, request):
        return visible(request.user, super().get_queryset(request).select_related("project"))


@admin.register(AnalysisVersion)
class AnalysisVersionAdmin(ReadOnlyAdmin):
    list_display = ("analysis", "number", "status", "file_name", "size", "approved_at")
    list_filter = ("status",)
    search_fields = ("analysis__title", "file_name", "sha256")

    def get_queryset(self, request):
        return visible(request.user, super().get_queryset(request).select_related("analysis"))
