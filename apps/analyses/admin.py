"""Admin for analyses (`apps.items.admin`): read-only, as for protocols."""

from django.contrib import admin

from apps.analyses.models import Analysis, AnalysisVersion
from apps.items.admin import ItemAdmin, VersionAdmin, VersionInline


class AnalysisVersionInline(VersionInline):
    model = AnalysisVersion


@admin.register(Analysis)
class AnalysisAdmin(ItemAdmin):
    list_display = ("title", "project", "category", "access_tier", "created_at")
    list_filter = ("access_tier", "category")
    inlines = [AnalysisVersionInline]


admin.site.register(AnalysisVersion, VersionAdmin)
