"""Milestones, notifications and audit events."""

from rest_framework import serializers

from apps.api.serializers.common import BASE_FIELDS, ResourceOutput, UserRef, api_url
from apps.audit.models import AuditEvent
from apps.milestones.models import Milestone
from apps.notifications.models import Notification


class MilestoneOutput(ResourceOutput):
    api_basename = "milestone"
    project = serializers.UUIDField(source="project_id")
    work_package = serializers.UUIDField(source="work_package_id", allow_null=True)
    owner_organisation = serializers.UUIDField(source="owner_organisation_id", allow_null=True)
    owner = UserRef(allow_null=True)

    class Meta:
        model = Milestone
        fields = (
            *BASE_FIELDS,
            "project",
            "work_package",
            "title",
            "description",
            "due_date",
            "status",
            "status_changed_on",
            "owner_organisation",
            "owner",
        )


class NotificationOutput(ResourceOutput):
    api_basename = "notification"
    project = serializers.UUIDField(source="project_id", allow_null=True)
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = (
            *BASE_FIELDS,
            "event_type",
            "subject",
            "body",
            "url",
            "target_type",
            "target_id",
            "project",
            "read_at",
            "is_read",
        )

    def get_is_read(self, obj) -> bool:
        return obj.read_at is not None


class AuditEventOutput(serializers.ModelSerializer):
    """Append-only: `created_at` and `updated_at` are both the time it happened."""

    url = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(source="occurred_at")
    updated_at = serializers.DateTimeField(source="occurred_at")
    actor = serializers.UUIDField(source="actor_id", allow_null=True)

    class Meta:
        model = AuditEvent
        fields = (
            "id",
            "url",
            "created_at",
            "updated_at",
            "actor",
            "actor_role",
            "action",
            "target_type",
            "target_id",
            "target_repr",
            "organisation_id",
            "project_id",
            "from_state",
            "to_state",
            "reason",
            "details",
        )

    def get_url(self, obj) -> str:
        return api_url(self.context, "audit-event", obj.pk)
