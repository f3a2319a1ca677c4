"""Deliverables: the project's formal outputs (reports, data packages) and their review."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.api.serializers.common import BASE_FIELDS, ResourceOutput, UserRef
from apps.milestones.models import Deliverable

IdList = serializers.ListField(child=serializers.UUIDField())


class DeliverableOutput(ResourceOutput):
    api_basename = "deliverable"
    project = serializers.UUIDField(source="project_id")
    work_package = serializers.UUIDField(source="work_package_id", allow_null=True)
    lead_organisation = serializers.UUIDField(source="lead_organisation_id", allow_null=True)
    author = UserRef(allow_null=True)
    reviewer = UserRef(allow_null=True)
    approver = UserRef(allow_null=True)
    datasets = serializers.SerializerMethodField(
        help_text="Linked datasets you may see (their ids)."
    )
    protocol_versions = serializers.SerializerMethodField(
        help_text="Linked protocol versions you may see (their ids)."
    )
    analysis_versions = serializers.SerializerMethodField(
        help_text="Linked analysis versions you may see (their ids)."
    )

    class Meta:
        model = Deliverable
        fields = (
            *BASE_FIELDS,
            "project",
            "work_package",
            "code",
            "title",
            "summary",
            "lead_organisation",
            "due_date",
            "due_month",
            "dissemination",
            "status",
            "author",
            "reviewer",
            "approver",
            "approved_at",
            "submitted_at",
            "datasets",
            "protocol_versions",
            "analysis_versions",
        )

    def _evidence(self, obj, field: str) -> list:
        """The linked rows of `field` the caller may see (`visible_evidence`, by field)."""
        shown = self.context.get("visible_evidence", {}).get(field, set())
        return [row.pk for row in getattr(obj, field).all() if row.pk in shown]

    @extend_schema_field(IdList)
    def get_datasets(self, obj):
        return self._evidence(obj, "datasets")

    @extend_schema_field(IdList)
    def get_protocol_versions(self, obj):
        return self._evidence(obj, "protocol_versions")

    @extend_schema_field(IdList)
    def get_analysis_versions(self, obj):
        return self._evidence(obj, "analysis_versions")


class DeliverableFieldsInput(serializers.Serializer):
    """What a coordinator fills in (PATCH: any subset). People and organisations by id."""

    code = serializers.CharField(max_length=20, help_text="e.g. D2.1, unique in the project.")
    title = serializers.CharField(max_length=300)
    summary = serializers.CharField(max_length=20000, allow_blank=True, required=False)
    work_package = serializers.UUIDField(allow_null=True, required=False)
    lead_organisation = serializers.UUIDField(
        allow_null=True, required=False, help_text="An active partner organisation."
    )
    due_date = serializers.DateField(allow_null=True, required=False)
    due_month = serializers.IntegerField(
        min_value=1, max_value=600, allow_null=True, required=False, help_text="Project month."
    )
    dissemination = serializers.ChoiceField(
        choices=Deliverable.Dissemination.choices, required=False
    )
    author = serializers.UUIDField(allow_null=True, required=False, help_text="A member.")
    reviewer = serializers.UUIDField(allow_null=True, required=False, help_text="A member.")
    approver = serializers.UUIDField(
        allow_null=True, required=False, help_text="A member other than the author."
    )
    datasets = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=200)
    protocol_versions = serializers.ListField(
        child=serializers.UUIDField(), required=False, max_length=200
    )
    analysis_versions = serializers.ListField(
        child=serializers.UUIDField(), required=False, max_length=200
    )


class DeliverableCreateInput(DeliverableFieldsInput):
    project = serializers.UUIDField(help_text="A project you coordinate.")


class DeliverableStatusInput(serializers.Serializer):
    to_status = serializers.ChoiceField(
        choices=[
            Deliverable.Status.IN_PREPARATION,
            Deliverable.Status.IN_REVIEW,
            Deliverable.Status.APPROVED,
            Deliverable.Status.SUBMITTED,
        ],
        help_text="in_preparation starts a planned one, or returns one in review or approved "
        "(with a reason); approved needs the named approver (or a coordinator when none is "
        "named, never the author); submitted needs a coordinator.",
    )
    reason = serializers.CharField(
        max_length=5000,
        required=False,
        allow_blank=True,
        help_text="What needs to change: needed when returning it to preparation.",
    )
