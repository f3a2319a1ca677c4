"""Admin views of controlled access: read-only. Every change goes through the services (which
audit it), so the admin never becomes a side door; lists are filtered by the policy too."""

from django.contrib import admin

from apps.access.admin_base import ReadOnlyPolicyAdmin
from apps.access.models import (
    AccessGrant,
    AccessRequest,
    CommitteeMember,
    DataAccessCommittee,
    DeclaredConflict,
)


class CommitteeMemberInline(admin.TabularInline):
    model = CommitteeMember
    extra = 0
    fields = ("user", "organisation", "is_chair", "created_at", "ended_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DataAccessCommittee)
class DataAccessCommitteeAdmin(ReadOnlyPolicyAdmin):
    list_display = ("name", "project", "created_at")
    search_fields = ("name", "project__acronym", "project__title")
    list_select_related = ("project",)
    inlines = [CommitteeMemberInline]


class DeclaredConflictInline(admin.TabularInline):
    model = DeclaredConflict
    extra = 0
    fields = ("user", "reason", "created_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AccessRequest)
class AccessRequestAdmin(ReadOnlyPolicyAdmin):
    list_display = (
        "dataset",
        "requester",
        "organisation",
        "status",
        "check_outcome",
        "submitted_at",
        "decided_at",
    )
    list_filter = ("status", "check_outcome", "escalated_to_staff")
    search_fields = ("requester__email", "dataset__title", "organisation__name")
    list_select_related = ("dataset", "requester", "organisation")
    date_hierarchy = "created_at"
    inlines = [DeclaredConflictInline]


@admin.register(AccessGrant)
class AccessGrantAdmin(ReadOnlyPolicyAdmin):
    list_display = ("dataset", "user", "organisation", "status", "valid_from", "valid_until")
    list_filter = ("status",)
    search_fields = ("user__email", "dataset__title", "organisation__name")
    list_select_related = ("dataset", "user", "organisation")
    date_hierarchy = "valid_from"
