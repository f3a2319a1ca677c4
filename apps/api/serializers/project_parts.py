"""Inputs for a project's partners, members and biomarkers (the outputs are in projects.py)."""

from rest_framework import serializers

from apps.projects.models import Biomarker, MembershipRole, PartnerRole


class PartnerInviteInput(serializers.Serializer):
    organisation = serializers.UUIDField(help_text="An approved organisation to invite.")
    role = serializers.ChoiceField(
        choices=PartnerRole.choices,
        default=PartnerRole.PARTNER,
        help_text="partner or associate (a project has one lead, its proposer).",
    )


class ReasonOptionalInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, help_text="Kept in the audit log."
    )


class MemberAddInput(serializers.Serializer):
    organisation = serializers.UUIDField(
        help_text="The active partner organisation they join through."
    )
    user = serializers.UUIDField(required=False, help_text="The person's id, or give `email`.")
    email = serializers.EmailField(required=False, help_text="The person's e-mail address.")
    role = serializers.ChoiceField(
        choices=MembershipRole.choices, default=MembershipRole.CONTRIBUTOR
    )
    ends_on = serializers.DateField(
        required=False, allow_null=True, help_text="Needed for observers; rights stop after it."
    )

    def validate(self, data):
        if not data.get("user") and not data.get("email"):
            raise serializers.ValidationError({"email": "Name the person by `user` or `email`."})
        return data


class MemberChangeInput(serializers.Serializer):
    role = serializers.ChoiceField(choices=MembershipRole.choices)
    ends_on = serializers.DateField(required=False, allow_null=True)


class BiomarkerInput(serializers.Serializer):
    """A biomarker (PATCH: any subset)."""

    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Biomarker.Kind.choices)
    stratum = serializers.CharField(
        max_length=5000, help_text="The patient subpopulation it defines."
    )
    assay = serializers.CharField(max_length=200, required=False, allow_blank=True)
    diagnostic_partner = serializers.UUIDField(
        required=False, allow_null=True, help_text="An approved organisation."
    )
    development_stage = serializers.ChoiceField(choices=Biomarker.Stage.choices, required=False)
    regulatory_status = serializers.ChoiceField(
        choices=Biomarker.RegulatoryStatus.choices, required=False
    )
