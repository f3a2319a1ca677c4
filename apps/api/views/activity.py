import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from apps.access.policy import Action
from apps.api.filters import SyncFilterSet, search_filter, since_filter, uuid_filter
from apps.api.permissions import TokenScopePermission
from apps.api.serializers.activity import AuditEventOutput, MilestoneOutput, NotificationOutput
from apps.api.views.base import (
    ETAG_HEADER,
    IF_MATCH,
    ResourceViewSet,
    problems,
    retrieve_schema,
)
from apps.audit.models import AuditEvent
from apps.milestones.models import Milestone, MilestoneStatus
from apps.milestones.services import milestone_defer, milestone_set_status
from apps.notifications.models import EventType, Notification
from apps.notifications.services import notification_mark_all_read, notification_mark_read


class MilestoneFilter(SyncFilterSet):
    status = django_filters.ChoiceFilter(choices=MilestoneStatus.choices)
    project = uuid_filter("project_id", "Milestones of this project.")
    organisation = uuid_filter("owner_organisation_id", "Milestones this organisation owns.")
    search = search_filter("Matches the title or description.")
    search_fields = ("title", "description")

    class Meta:
        model = Milestone
        fields = ["status", "project", "organisation", "updated_since"]


class MilestoneStatusInput(serializers.Serializer):
    to_status = serializers.ChoiceField(
        choices=[MilestoneStatus.IN_PROGRESS, MilestoneStatus.ACHIEVED, MilestoneStatus.MISSED]
    )
    note = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, help_text="Needed for missed."
    )


class MilestoneDeferInput(serializers.Serializer):
    new_due_date = serializers.DateField()
    note = serializers.CharField(max_length=5000, help_text="Why it is deferred.")


MILESTONE_WRITE = {200: MilestoneOutput, **problems(400, 403, 404, 412, 413, 415)}


@extend_schema_view(
    list=extend_schema(
        summary="List milestones", responses={200: MilestoneOutput(many=True), **problems(400)}
    ),
    retrieve=retrieve_schema("Get a milestone", MilestoneOutput),
    status=extend_schema(
        summary="Move a milestone on (in progress, achieved, missed)",
        request=MilestoneStatusInput,
        parameters=[IF_MATCH, ETAG_HEADER],
        responses=MILESTONE_WRITE,
    ),
    defer=extend_schema(
        summary="Defer a milestone to a later due date",
        request=MilestoneDeferInput,
        parameters=[IF_MATCH, ETAG_HEADER],
        responses=MILESTONE_WRITE,
    ),
)
class MilestoneViewSet(ResourceViewSet):
    model = Milestone
    output_serializer = MilestoneOutput
    filterset_class = MilestoneFilter
    http_method_names = ["get", "post", "head", "options"]
    select = ("owner",)

    @action(detail=True, methods=["post"], url_path="status")
    def status(self, request, *args, **kwargs):
        def write():
            milestone = self.locked_object(Action.EDIT)
            data = self.validated_input(MilestoneStatusInput)
            return milestone_set_status(
                milestone=milestone,
                actor=request.user,
                to_status=data["to_status"],
                note=data.get("note", ""),
                request=request,
            )

        return self.run_write(write)

    @action(detail=True, methods=["post"])
    def defer(self, request, *args, **kwargs):
        def write():
            milestone = self.locked_object(Action.EDIT)
            data = self.validated_input(MilestoneDeferInput)
            return milestone_defer(
                milestone=milestone,
                actor=request.user,
                new_due_date=data["new_due_date"],
                note=data["note"],
                request=request,
            )

        return self.run_write(write)


class NotificationFilter(SyncFilterSet):
    event_type = django_filters.ChoiceFilter(choices=EventType.choices)
    project = uuid_filter("project_id", "Notifications about this project.")
    unread = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_unread",
        help_text="true: only unread ones; false: only read ones.",
    )

    class Meta:
        model = Notification
        fields = ["event_type", "project", "unread", "updated_since"]

    def filter_unread(self, queryset, name, value):
        return queryset.filter(read_at__isnull=value == "true")


@extend_schema_view(
    list=extend_schema(
        summary="List your notifications",
        responses={200: NotificationOutput(many=True), **problems(400)},
    ),
    retrieve=retrieve_schema("Get one of your notifications", NotificationOutput),
    read=extend_schema(
        summary="Mark a notification read",
        request=None,
        responses={200: NotificationOutput, **problems(403, 404)},
    ),
    read_all=extend_schema(
        summary="Mark all your notifications read",
        request=None,
        responses={
            200: {"type": "object", "properties": {"marked": {"type": "integer"}}},
            **problems(403),
        },
    ),
)
class NotificationViewSet(ResourceViewSet):
    model = Notification
    output_serializer = NotificationOutput
    filterset_class = NotificationFilter
    http_method_names = ["get", "post", "head", "options"]
    permission_classes = [IsAuthenticated, TokenScopePermission]

    @action(detail=True, methods=["post"])
    def read(self, request, *args, **kwargs):
        notification = self.get_object()
        notification_mark_read(notification=notification)
        return self.respond_with_etag(self.fresh(notification))

    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request, *args, **kwargs):
        marked = notification_mark_all_read(user=request.user)
        return Response({"marked": marked})


class AuditEventFilter(SyncFilterSet):
    updated_since = since_filter("occurred_at")
    project = uuid_filter("project_id", "Events of this project.")
    organisation = uuid_filter("organisation_id", "Events about this organisation.")
    action = django_filters.CharFilter(
        max_length=80, help_text="Exact action, e.g. dataset.publish."
    )
    search = search_filter("Matches the action or target description.")
    search_fields = ("action", "target_repr")

    class Meta:
        model = AuditEvent
        fields = ["project", "organisation", "action", "updated_since"]


@extend_schema_view(
    list=extend_schema(
        summary="List audit events",
        description="Staff see every event; coordinators those of their projects; steward "
        "organisation admins the download log of their datasets. Oldest first.",
        responses={200: AuditEventOutput(many=True), **problems(400)},
    ),
    retrieve=retrieve_schema("Get an audit event", AuditEventOutput),
)
class AuditEventViewSet(ResourceViewSet):
    model = AuditEvent
    output_serializer = AuditEventOutput
    filterset_class = AuditEventFilter
    http_method_names = ["get", "head", "options"]
    lookup_value_regex = r"[0-9]{1,18}"
    sync_field = "occurred_at"
