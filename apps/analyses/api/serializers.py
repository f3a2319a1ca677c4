"""API output of analyses and their versions (read through the policy in the views); the
fields every kind has are `ItemOutput`'s and `VersionOutput`'s."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.analyses.models import Analysis, AnalysisVersion
from apps.api.serializers.common import BASE_FIELDS
from apps.api.serializers.items import ItemOutput, VersionOutput, version_fields


class AnalysisVersionOutput(VersionOutput):
    api_basename = "analysis-version"
    analysis = serializers.UUIDField(source="analysis_id")
    datasets = serializers.SerializerMethodField(
        help_text="The datasets this version used, among those you may see."
    )
    protocol_versions = serializers.SerializerMethodField(
        help_text="The protocol versions this version followed, among those you may see."
    )

    class Meta:
        model = AnalysisVersion
        fields = (*version_fields("analysis"), "datasets", "protocol_versions", "download_url")

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_datasets(self, obj):
        return sorted(self.context.get("cited_datasets", {}).get(obj.pk, ()), key=str)

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_protocol_versions(self, obj):
        return sorted(self.context.get("cited_protocol_versions", {}).get(obj.pk, ()), key=str)


class AnalysisOutput(ItemOutput):
    api_basename = "analysis"
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
    def get_versions(self, obj):
        return self.context.get("visible_versions", {}).get(obj.pk, [])
