"""Read-mostly admin: changes to projects, partners and members go through the pages (and so
through the services, which check the rules and write the audit log)."""

from django.contrib import admin

from apps.access.admin_base import ReadOnlyInline
from apps.projects.models import (
    Biomarker,
    Membership,
    Partner,
    Project,
    ProjectFunder,
    WorkPackage,
)


class PartnerInline(ReadOnlyInline):
    model = Partner
    fields = ("organisation", "role", "status", "joined_on", "left_on")


class MembershipInline(ReadOnlyInline):
    model = Membership
    fields = ("user", "organisation", "role", "ends_on", "ended_at")


class FunderInline(ReadOnlyInline):
    model = ProjectFunder
    fields = ("organisation", "grant_reference")


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("acronym", "title", "status", "summary_visibility", "start_date", "end_date")
    list_filter = ("status", "summary_visibility", "disease_areas")
    search_fields = ("acronym", "title", "summary")
    inlines = (PartnerInline, MembershipInline, FunderInline)
    readonly_fields = [
        field.name
        for field in Project._meta.concrete_fields
        if field.name not in ("search_vector", "card_search_vector")
    ] + ["disease_areas"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WorkPackage)
class WorkPackageAdmin(admin.ModelAdmin):
    list_display = ("__str__", "project")
    search_fields = ("title", "project__acronym")
    list_select_related = ("project",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Biomarker)
class BiomarkerAdmin(WorkPackageAdmin):
    list_display = ("name", "project", "kind", "development_stage", "regulatory_status")
    list_filter = ("kind", "development_stage", "regulatory_status")
    search_fields = ("name", "stratum", "project__acronym")
