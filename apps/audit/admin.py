"""The audit log in the admin: read-only, for every user including superusers."""

from django.contrib import admin

from apps.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = (
        "occurred_at",
        "action",
        "actor",
        "actor_role",
        "target_repr",
        "from_state",
        "to_state",
    )
    list_filter = ("action", "target_type", "actor_role")
    search_fields = ("action", "target_id", "target_repr", "reason", "actor__email")
    date_hierarchy = "occurred_at"
    list_select_related = ("actor",)
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
