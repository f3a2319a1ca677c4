"""Operators' view of the e-mail outbox: what is pending, stuck or failed, and why. Read-only,
with one action — queue again — that goes through the same claim as every delivery, so it
can never send twice. In-app notifications are private to their recipients and not listed."""

from django.contrib import admin, messages

from apps.notifications import outbox
from apps.notifications.models import OutboxEmail


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):
    list_display = ["delivery_key", "to_address", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status"]
    search_fields = ["delivery_key", "to_address"]
    date_hierarchy = "created_at"
    actions = ["queue_again"]
    exclude = ["body_html"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "body_html"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None  # the list and its action, never an edit form

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Queue the selected e-mails again (sent ones are skipped)")
    def queue_again(self, request, queryset):
        ids = list(queryset.exclude(status=OutboxEmail.Status.SENT).values_list("pk", flat=True))
        queryset.filter(pk__in=ids, status=OutboxEmail.Status.FAILED).update(
            status=OutboxEmail.Status.PENDING, next_attempt_at=None, attempts=0
        )
        outbox.outbox_enqueue(ids)
        self.message_user(request, f"Queued {len(ids)} e-mails.", messages.SUCCESS)
