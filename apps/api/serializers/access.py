"""Access requests and grants. A request's confidential purpose is shown only to those the
policy lets read it (`view_purpose`): a conflicted committee member sees that it exists."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.access import duo
from apps.access.models import AccessGrant, AccessRequest, CheckOutcome
from apps.access.selectors import (
    accepted_obligations,
    declared_research_types,
    declared_sensitive_topics,
    disease_label,
    term_label,
)
from apps.access.services.request_base import FORM_FIELDS
from apps.api.serializers.common import BASE_FIELDS, ResourceOutput, UserRef

# What the requester declared (the request form's fields): confidential, like the purpose.
PURPOSE_FIELDS = FORM_FIELDS


class DeclaredUseDisplay(serializers.Serializer):
    diseases = serializers.ListField(
        child=serializers.CharField(), help_text="Disease areas with their ICD-10 codes."
    )
    research_types = serializers.ListField(child=serializers.CharField())
    sensitive_topics = serializers.ListField(child=serializers.CharField())
    obligations = serializers.ListField(
        child=serializers.CharField(), help_text="The obligations accepted, in their words."
    )


class VerdictOutput(serializers.Serializer):
    term = serializers.CharField(help_text="The DUO shorthand, or SENSITIVE / POLICY.")
    term_display = serializers.CharField()
    outcome = serializers.ChoiceField(choices=CheckOutcome.choices)
    outcome_display = serializers.CharField(
        help_text="Passes, Needs the committee, Refused, or Does not pass (soft)."
    )
    hard = serializers.BooleanField()
    reason = serializers.CharField()


class DeclaredUse(serializers.Serializer):
    purpose = serializers.CharField()
    diseases = serializers.ListField(child=serializers.UUIDField())
    is_commercial = serializers.BooleanField()
    is_health_research = serializers.BooleanField(
        help_text="Health, medical or biomedical research without a specific disease."
    )
    is_ancestry_research = serializers.BooleanField()
    is_methods_development = serializers.BooleanField()
    is_clinical_care = serializers.BooleanField()
    is_general_research = serializers.BooleanField()
    is_controls_only = serializers.BooleanField()
    involves_vulnerable_populations = serializers.BooleanField()
    involves_stigmatising_conditions = serializers.BooleanField()
    involves_children = serializers.BooleanField()
    compares_population_groups = serializers.BooleanField()
    involves_sex_or_gender = serializers.BooleanField()
    involves_illegal_behaviour = serializers.BooleanField()
    involves_psychological_traits = serializers.BooleanField()
    is_genetic_study = serializers.BooleanField()
    location = serializers.CharField()
    ethics_reference = serializers.CharField()
    ethics_expires_on = serializers.DateField(allow_null=True)
    attestations = serializers.ListField(child=serializers.CharField())
    requested_until = serializers.DateField(allow_null=True)
    display = DeclaredUseDisplay(help_text="The declared use in words, as the portal shows it.")


class AccessRequestOutput(ResourceOutput):
    api_basename = "access-request"
    dataset = serializers.UUIDField(source="dataset_id")
    organisation = serializers.UUIDField(source="organisation_id")
    requester = UserRef()
    declared_use = serializers.SerializerMethodField(
        help_text="The purpose and declared use; null when you may not read them (conflict)."
    )
    check_outcome_display = serializers.SerializerMethodField(
        help_text="The automatic check's overall outcome in words."
    )
    check_verdicts = serializers.SerializerMethodField(
        help_text="Each rule's verdict with its reason; null when you may not read the purpose "
        "(the reasons name what was declared)."
    )

    class Meta:
        model = AccessRequest
        fields = (
            *BASE_FIELDS,
            "dataset",
            "requester",
            "organisation",
            "status",
            "declared_use",
            "check_outcome",
            "check_outcome_display",
            "check_verdicts",
            "submitted_at",
            "escalated_to_staff",
            "decided_at",
            "decision_reason",
            "approved_until",
        )

    @extend_schema_field(DeclaredUse(allow_null=True))
    def get_declared_use(self, obj):
        if obj.pk not in self.context.get("purpose_ids", set()):
            return None
        data = {name: getattr(obj, name) for name in PURPOSE_FIELDS}
        areas = list(obj.diseases.all())
        data["diseases"] = [area.pk for area in areas]
        data["display"] = {
            "diseases": [disease_label(area) for area in areas],
            "research_types": declared_research_types(obj),
            "sensitive_topics": declared_sensitive_topics(obj),
            "obligations": accepted_obligations(obj),
        }
        return DeclaredUse(data).data

    def get_check_outcome_display(self, obj) -> str:
        return duo.outcome_word(obj.check_outcome, obj.status)

    @extend_schema_field(VerdictOutput(many=True, allow_null=True))
    def get_check_verdicts(self, obj):
        if obj.pk not in self.context.get("purpose_ids", set()):
            return None
        return [
            {
                "term": v.get("term", ""),
                "term_display": term_label(v.get("term", "")),
                "outcome": v.get("outcome", ""),
                "outcome_display": duo.verdict_word(v.get("outcome", ""), bool(v.get("hard"))),
                "hard": bool(v.get("hard")),
                "reason": v.get("reason", ""),
            }
            for v in obj.check_results or ()
        ]


class AccessRequestCreateInput(serializers.Serializer):
    dataset = serializers.UUIDField(help_text="A controlled dataset you may request.")
    organisation = serializers.UUIDField(help_text="Your organisation for this request.")
    purpose = serializers.CharField(max_length=20000)
    diseases = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=50)
    is_commercial = serializers.BooleanField(required=False)
    is_health_research = serializers.BooleanField(
        required=False,
        help_text="Health, medical or biomedical research without a specific disease.",
    )
    is_ancestry_research = serializers.BooleanField(required=False)
    is_methods_development = serializers.BooleanField(required=False)
    is_clinical_care = serializers.BooleanField(required=False)
    is_general_research = serializers.BooleanField(required=False)
    is_controls_only = serializers.BooleanField(required=False)
    involves_vulnerable_populations = serializers.BooleanField(required=False)
    involves_stigmatising_conditions = serializers.BooleanField(required=False)
    involves_children = serializers.BooleanField(required=False)
    compares_population_groups = serializers.BooleanField(required=False)
    involves_sex_or_gender = serializers.BooleanField(required=False)
    involves_illegal_behaviour = serializers.BooleanField(required=False)
    involves_psychological_traits = serializers.BooleanField(required=False)
    is_genetic_study = serializers.BooleanField(required=False)
    location = serializers.CharField(max_length=200, required=False, allow_blank=True)
    ethics_reference = serializers.CharField(max_length=100, required=False, allow_blank=True)
    ethics_expires_on = serializers.DateField(required=False, allow_null=True)
    attestations = serializers.ListField(
        child=serializers.CharField(max_length=10), required=False, max_length=20
    )
    requested_until = serializers.DateField(required=False, allow_null=True)
    submit = serializers.BooleanField(
        default=False, help_text="Submit at once (runs the automatic check)."
    )


class WithdrawInput(serializers.Serializer):
    reason = serializers.CharField(
        max_length=5000, required=False, allow_blank=True, help_text="Needed once submitted."
    )


class DecisionInput(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=[("approve", "Approve"), ("reject", "Reject"), ("return", "Return for changes")]
    )
    reason = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    approved_until = serializers.DateField(required=False, allow_null=True)


class AccessGrantOutput(ResourceOutput):
    api_basename = "grant"
    dataset = serializers.UUIDField(source="dataset_id")
    organisation = serializers.UUIDField(source="organisation_id")
    request = serializers.UUIDField(source="request_id")
    user = UserRef()

    class Meta:
        model = AccessGrant
        fields = (
            *BASE_FIELDS,
            "dataset",
            "user",
            "organisation",
            "request",
            "status",
            "valid_from",
            "valid_until",
            "obligations",
            "status_reason",
            "status_changed_at",
        )
