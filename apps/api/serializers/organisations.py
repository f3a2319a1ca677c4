from django_countries.serializer_fields import CountryField
from rest_framework import serializers

from apps.api.serializers.common import BASE_FIELDS, ResourceOutput
from apps.diseases.models import DiseaseArea
from apps.organisations.models import Organisation, OrganisationKind


class OrganisationOutput(ResourceOutput):
    api_basename = "organisation"
    country = serializers.CharField(source="country.code", help_text="ISO 3166-1 alpha-2.")

    class Meta:
        model = Organisation
        fields = (
            *BASE_FIELDS,
            "name",
            "slug",
            "kind",
            "country",
            "website",
            "description",
            "ror_id",
            "ods_code",
            "status",
        )


class OrganisationUpdateInput(serializers.Serializer):
    """Profile fields an organisation's admins may change (PATCH: any subset)."""

    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=OrganisationKind.choices)
    country = CountryField()
    website = serializers.URLField(allow_blank=True, max_length=200)
    description = serializers.CharField(allow_blank=True, max_length=5000)
    ror_id = serializers.CharField(allow_blank=True, max_length=9)
    ods_code = serializers.CharField(allow_blank=True, max_length=10)


class DiseaseAreaOutput(ResourceOutput):
    api_basename = "disease-area"
    parent = serializers.UUIDField(source="parent_id", allow_null=True)

    class Meta:
        model = DiseaseArea
        fields = (*BASE_FIELDS, "name", "slug", "description", "icd10_codes", "parent")
