"""API output of analyses and their versions (read through the policy in the views)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.analyses.models import Analysis, AnalysisVersion
from apps.api.serializers.common import BASE_FIELDS, ResourceOutput, api_url

FILE_FIELDS = ("file_name", "sha256", "size", "content_type")


class AnalysisVersionOutput(ResourceOutput):
    api_basename = "analysis-version"
    analysis = serializers.UUIDField(source="analysis_id")
    approved_at = serializers.DateTimeField(allow_null=True)
    datasets = serializers.SerializerMethodField(
        help_text="The datasets this version used, among those you may see."
    )
    protocol_versions = serializers.SerializerMethodField(
        help_text="The protocol versions this version followed, among those you may see."
    )
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = AnalysisVersion
        fields = (
            *BASE_FIELDS,
            "analysis",
            "number",
            "status",
            "change_note",
            *FILE_FIELDS,
            "approved_at",
            "datasets",
            "protocol_versions",
            "download_url",
        )

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_datasets(self, obj):
        return sorted(self.context.get("cited_datasets", {}).get(obj.pk, ()), key=str)

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_protocol_versions(self, obj):
        return sorted(self.context.get("cited_protocol_versions", {}).get(obj.pk, ()), key=str)

    def get_download_url(self, obj) -> str:
        return api_url(self.context, self.api_basename, obj.pk) + "download/"


class AnalysisOutput(ResourceOutput):
    api_basename = "analysis"
    project = serializers.UUIDField(source="project_id")
    allowed_organisations = serializers.SerializerMethodField()
    versions = serializers.SerializerMethodField(
        help_text="The ids of the versions you may see, newest first (drafts only for editors)."
    )

    class Meta:
        model = Analysis
        fields = (
            *BASE_FIELDS,
            "project",
            "title",
            "description",
            "category",
            "access_tier",
            "allowed_organisations",
            "versions",
        )

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_allowed_organisations(self, obj):
        return [organisation.pk for organisation in obj.allowed_organisations.all()]

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_versions(self, obj):
        return self.context.get("visible_versions", {}).get(obj.pk, [])
