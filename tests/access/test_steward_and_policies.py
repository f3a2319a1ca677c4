"""The steward organisation's second approval, and the typed values of a data-use policy."""

import pytest
from django.core.exceptions import ValidationError

from apps.access.exceptions import NotAllowed, TransitionError
from apps.access.models import AccessGrant, RequestStatus
from apps.access.policy import Action, can
from apps.access.policy.requests import STEWARD_APPROVE
from apps.access.services import (
    access_request_approve,
    access_request_create,
    access_request_steward_decide,
    access_request_submit,
    data_use_policy_set,
)
from apps.audit.models import AuditEvent


@pytest.fixture
def awaiting_steward(controlled_dataset, partner_member, partner_org, request_data, dac_member):
    controlled_dataset.requires_steward_approval = True
    controlled_dataset.save()
    draft = access_request_create(
        dataset=controlled_dataset,
        requester=partner_member,
        organisation=partner_org,
        data=request_data,
    )
    access_request_submit(access_request=draft, actor=partner_member)
    return access_request_approve(access_request=draft, actor=dac_member)


def test_committee_approval_waits_for_the_steward_when_the_dataset_asks(
    awaiting_steward, dac_member
):
    assert awaiting_steward.status == RequestStatus.IN_REVIEW
    assert awaiting_steward.decided_by == dac_member
    assert not AccessGrant.objects.filter(request=awaiting_steward).exists()
    assert not can(dac_member, Action.DECIDE, awaiting_steward)  # the committee has spoken


def test_the_steward_admin_completes_the_approval_and_the_grant_follows(
    awaiting_steward, coordinator
):
    # The coordinator is an admin of lead_org, the steward organisation.
    assert can(coordinator, STEWARD_APPROVE, awaiting_steward)
    approved = access_request_steward_decide(
        access_request=awaiting_steward, actor=coordinator, approve=True
    )
    assert approved.status == RequestStatus.APPROVED
    assert approved.steward_approved_by == coordinator
    assert AccessGrant.objects.filter(request=approved).count() == 1
    with pytest.raises(TransitionError):
        access_request_steward_decide(access_request=approved, actor=coordinator, approve=True)


def test_the_steward_may_refuse_with_a_reason(awaiting_steward, coordinator):
    with pytest.raises(ValidationError):
        access_request_steward_decide(
            access_request=awaiting_steward, actor=coordinator, approve=False
        )
    rejected = access_request_steward_decide(
        access_request=awaiting_steward,
        actor=coordinator,
        approve=False,
        reason="Consent does not cover it",
    )
    assert rejected.status == RequestStatus.REJECTED
    assert AuditEvent.objects.filter(action="request.reject.steward").count() == 1


def test_someone_outside_the_steward_organisation_cannot_give_its_approval(
    awaiting_steward, dac_member
):
    with pytest.raises(NotAllowed):
        access_request_steward_decide(
            access_request=awaiting_steward, actor=dac_member, approve=True
        )


# --- Typed values -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("modifiers", "field"),
    [
        ({"TS": 0}, "TS"),
        ({"TS": "twelve"}, "TS"),
        ({"GS": ["XX"]}, "GS"),
        ({"MOR": "next year"}, "MOR"),
        ({"US": ["not-a-uuid"]}, "US"),
        ({"IS": []}, "IS"),
        ({"COL": "   "}, "COL"),
        ({"NCU": "yes"}, "NCU"),
        ({"GRU": None}, "modifiers"),
        ({"XYZ": None}, "modifiers"),
    ],
)
def test_each_modifier_value_is_validated(controlled_dataset, coordinator, modifiers, field):
    with pytest.raises(ValidationError) as error:
        data_use_policy_set(
            dataset=controlled_dataset, permission="GRU", modifiers=modifiers, actor=coordinator
        )
    assert field in error.value.message_dict
    assert controlled_dataset.policies.count() == 1  # nothing new written


def test_exactly_one_permission_and_ds_needs_disease_areas(controlled_dataset, coordinator):
    with pytest.raises(ValidationError) as error:
        data_use_policy_set(dataset=controlled_dataset, permission="NCU", actor=coordinator)
    assert "permission" in error.value.message_dict
    with pytest.raises(ValidationError):
        data_use_policy_set(dataset=controlled_dataset, permission="DS", actor=coordinator)


def test_typed_values_are_stored_normalised(
    controlled_dataset, coordinator, partner_org, project, partner_member
):
    policy = data_use_policy_set(
        dataset=controlled_dataset,
        permission="HMB",
        modifiers={
            "GS": ["gb", "DE"],
            "MOR": "2027-06-30",
            "TS": "18",
            "US": [partner_member.pk],
            "PS": project.pk,
            "IS": [partner_org.pk],
            "COL": "Dr A. Investigator",
        },
        actor=coordinator,
    )
    terms = {c.term.shorthand: c.value for c in policy.conditions.select_related("term")}
    assert terms == {
        "HMB": None,
        "GS": ["DE", "GB"],
        "MOR": "2027-06-30",
        "TS": 18,
        "US": [str(partner_member.pk)],
        "PS": str(project.pk),
        "IS": [str(partner_org.pk)],
        "COL": "Dr A. Investigator",
    }
    assert policy.version == 2
    assert policy.duo_release == "v2021-02-23"
    event = AuditEvent.objects.filter(action="dataset.policy.set").latest("id")
    assert event.details["terms"]["TS"] == 18
