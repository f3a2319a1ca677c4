"""Read-only admin: milestones and deliverables change only through the services (which keep
their history and audit trail); lists go through the policy like every other page."""

from django.contrib import admin

from apps.access.admin_base import ReadOnlyPolicyAdmin
from apps.milestones.models import Deliverable, Milestone, MilestoneChange


class MilestoneChangeInline(admin.TabularInline):
    model = MilestoneChange
    extra = 0
    can_delete = False
    readonly_fields = [
        "happened_on",
        "from_status",
        "to_status",
        "old_due_date",
        "new_due_date",
        "actor",
        "note",
    ]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Milestone)
class MilestoneAdmin(ReadOnlyPolicyAdmin):
    list_display = ["title", "project", "due_date", "status", "owner_organisation"]
    list_filter = ["status"]
    search_fields = ["title", "project__acronym"]
    list_select_related = ["project", "owner_organisation"]
    inlines = [MilestoneChangeInline]


@admin.register(Deliverable)
class DeliverableAdmin(ReadOnlyPolicyAdmin):
    list_display = ["code", "title", "project", "due_date", "dissemination", "status"]
    list_filter = ["status", "dissemination"]
    search_fields = ["code", "title", "project__acronym"]
    list_select_related = ["project"]
