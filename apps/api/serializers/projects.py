from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.api.serializers.common import BASE_FIELDS, ResourceOutput, UserRef
from apps.projects.models import Biomarker, Membership, Partner, Project


class PartnerOutput(serializers.ModelSerializer):
    organisation = serializers.UUIDField(source="organisation_id")
    organisation_name = serializers.CharField(source="organisation.name")

    class Meta:
        model = Partner
        fields = (
            "id",
            "organisation",
            "organisation_name",
            "role",
            "status",
            "joined_on",
            "left_on",
        )


class MemberOutput(serializers.ModelSerializer):
    user = UserRef()
    organisation = serializers.UUIDField(source="organisation_id")

    class Meta:
        model = Membership
        fields = ("id", "user", "organisation", "role", "ends_on")


class BiomarkerOutput(serializers.ModelSerializer):
    diagnostic_partner = serializers.UUIDField(source="diagnostic_partner_id", allow_null=True)

    class Meta:
        model = Biomarker
        fields = (
            "id",
            "name",
            "kind",
            "stratum",
            "assay",
            "diagnostic_partner",
            "development_stage",
            "regulatory_status",
            "created_at",
            "updated_at",
        )


class ProjectOutput(ResourceOutput):
    """A project. Everyone who may list it sees the card; `summary`, partners, members and
    biomarkers need the right to its full page (`details_visible`)."""

    api_basename = "project"
    disease_areas = serializers.SerializerMethodField()
    details_visible = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField()
    partners = serializers.SerializerMethodField()
    members = serializers.SerializerMethodField()
    biomarkers = serializers.SerializerMethodField()

    class Meta:
        model = Project
        fields = (
            *BASE_FIELDS,
            "title",
            "acronym",
            "slug",
            "status",
            "summary_visibility",
            "start_date",
            "end_date",
            "disease_areas",
            "details_visible",
            "summary",
            "partners",
            "members",
            "biomarkers",
        )

    def _details(self, project) -> bool:
        return project.pk in self.context.get("details_ids", set())

    def to_representation(self, project):
        data = super().to_representation(project)
        if not self._details(project):
            # The card's own change time: hidden parts' activity leaves no visible timestamp.
            data["updated_at"] = self.fields["updated_at"].to_representation(
                project.card_updated_at
            )
        return data

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_disease_areas(self, project):
        return [area.pk for area in project.disease_areas.all()]

    def get_details_visible(self, project) -> bool:
        return self._details(project)

    def get_summary(self, project) -> str:
        return project.summary if self._details(project) else ""

    @extend_schema_field(PartnerOutput(many=True))
    def get_partners(self, project):
        if not self._details(project):
            return []
        return PartnerOutput(project.partners.all(), many=True).data

    @extend_schema_field(MemberOutput(many=True))
    def get_members(self, project):
        if not (self._details(project) and self.context.get("signed_in")):
            return []
        return MemberOutput(project.current_memberships, many=True).data

    @extend_schema_field(BiomarkerOutput(many=True))
    def get_biomarkers(self, project):
        if not self._details(project):
            return []
        return BiomarkerOutput(project.biomarkers.all(), many=True).data
