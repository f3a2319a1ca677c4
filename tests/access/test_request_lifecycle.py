"""The request state machine of ACCESS.md, through the services."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.access.exceptions import NotAllowed, TransitionError
from apps.access.models import AccessGrant, AccessRequest, GrantStatus, RequestStatus
from apps.access.services import (
    access_request_approve,
    access_request_create,
    access_request_reapply,
    access_request_reject,
    access_request_renew,
    access_request_return,
    access_request_submit,
    access_request_update,
    access_request_withdraw,
    data_use_policy_set,
)
from apps.audit.models import AuditEvent
from apps.notifications.models import EventType, Notification


@pytest.fixture
def draft(controlled_dataset, partner_member, partner_org, request_data):
    return access_request_create(
        dataset=controlled_dataset,
        requester=partner_member,
        organisation=partner_org,
        data=request_data,
    )


def actions_for(access_request) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_id=str(access_request.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_submission_freezes_a_snapshot_and_its_hash_and_goes_to_review(draft, dac_member):
    submitted = access_request_submit(access_request=draft, actor=draft.requester)

    assert submitted.status == RequestStatus.IN_REVIEW
    assert submitted.snapshot["policy"]["terms"]["NCU"] is None
    assert submitted.snapshot["form"]["purpose"] == "Validate an eosinophil signature in asthma."
    assert len(submitted.snapshot_hash) == 64
    assert submitted.check_outcome == "pass"
    assert actions_for(submitted) == [
        "request.create",
        "request.submit",
        "request.check",
        "request.conflicts",
    ]
    filed = Notification.objects.get(event_type=EventType.REQUEST_FILED)
    assert filed.recipient == dac_member


def test_the_snapshot_does_not_change_when_the_policy_changes_later(draft, dac_member, coordinator):
    submitted = access_request_submit(access_request=draft, actor=draft.requester)
    frozen = submitted.snapshot_hash
    data_use_policy_set(dataset=draft.dataset, permission="GRU", modifiers={}, actor=coordinator)
    submitted.refresh_from_db()
    assert submitted.snapshot_hash == frozen
    assert submitted.policy.version == 1


def test_commercial_use_of_an_ncu_dataset_is_refused_at_once_with_the_reason(draft, dac_member):
    access_request_update(access_request=draft, actor=draft.requester, data={"is_commercial": True})
    refused = access_request_submit(access_request=draft, actor=draft.requester)
    assert refused.status == RequestStatus.REFUSED
    assert (
        refused.decision_reason
        == "Commercial use is declared, and this dataset allows only non-commercial use."
    )
    assert not Notification.objects.filter(event_type=EventType.REQUEST_FILED).exists()
    decided = Notification.objects.get(event_type=EventType.REQUEST_DECIDED)
    assert decided.recipient == draft.requester


def test_a_request_from_a_pharma_company_for_an_npu_dataset_is_refused(
    controlled_dataset, coordinator, lead_org, respiratory, request_data
):
    data_use_policy_set(
        dataset=controlled_dataset,
        permission="DS",
        permission_value=[respiratory.pk],
        modifiers={"NPU": None},
        actor=coordinator,
    )
    draft = access_request_create(
        dataset=controlled_dataset, requester=coordinator, organisation=lead_org, data=request_data
    )
    refused = access_request_submit(access_request=draft, actor=coordinator)
    assert refused.status == RequestStatus.REFUSED
    assert (
        "Only not-for-profit organisations may use this dataset, and Pharmacorp is for profit."
        in refused.decision_reason
    )


def test_research_outside_the_ds_disease_is_refused_naming_the_disease(draft, cancer):
    access_request_update(access_request=draft, actor=draft.requester, data={"diseases": [cancer]})
    refused = access_request_submit(access_request=draft, actor=draft.requester)
    assert refused.status == RequestStatus.REFUSED
    assert (
        "Research on Cancer (C00-D48) is outside what this dataset allows"
        in refused.decision_reason
    )


def test_approval_creates_one_grant_capped_by_the_earliest_limit(draft, dac_member, project):
    access_request_submit(access_request=draft, actor=draft.requester)
    chosen_end = timezone.localdate() + datetime.timedelta(days=40)
    approved = access_request_approve(
        access_request=draft, actor=dac_member, approved_until=chosen_end
    )
    grant = AccessGrant.objects.get(request=approved)
    assert approved.status == RequestStatus.APPROVED
    assert grant.status == GrantStatus.ACTIVE
    assert timezone.localtime(grant.valid_until).date() == chosen_end + datetime.timedelta(days=1)
    assert grant.policy == approved.policy
    assert {"term": "PUB", "value": None} in grant.obligations
    create = AuditEvent.objects.get(action="grant.create")
    assert create.details["limited_by"] == "committee's chosen end"


def test_the_ts_limit_and_the_project_end_cap_the_grant(
    controlled_dataset,
    coordinator,
    respiratory,
    partner_member,
    partner_org,
    request_data,
    dac_member,
    project,
):
    data_use_policy_set(
        dataset=controlled_dataset,
        permission="DS",
        permission_value=[respiratory.pk],
        modifiers={"TS": 3, "PUB": None},
        actor=coordinator,
    )
    draft = access_request_create(
        dataset=controlled_dataset,
        requester=partner_member,
        organisation=partner_org,
        data=request_data,
    )
    access_request_submit(access_request=draft, actor=partner_member)
    access_request_approve(access_request=draft, actor=dac_member)
    grant = AccessGrant.objects.get(request=draft)
    assert (grant.valid_until - grant.valid_from).days in range(89, 93)

    project.end_date = timezone.localdate() + datetime.timedelta(days=10)
    project.save()
    second = access_request_renew(grant=grant, actor=partner_member, report="Used as agreed.")
    access_request_submit(access_request=second, actor=partner_member)
    access_request_approve(access_request=second, actor=dac_member)
    renewed = AccessGrant.objects.get(user=partner_member, dataset=controlled_dataset)
    # #18: an approved renewal of a live grant extends that same grant (recomputed end).
    assert renewed.pk == grant.pk
    assert renewed.status == GrantStatus.ACTIVE
    assert timezone.localtime(renewed.valid_until).date() == project.end_date + datetime.timedelta(
        days=1
    )
    assert second.renews_grant == grant


def test_reject_and_return_need_a_reason(draft, dac_member):
    access_request_submit(access_request=draft, actor=draft.requester)
    with pytest.raises(ValidationError):
        access_request_reject(access_request=draft, actor=dac_member, reason="  ")
    with pytest.raises(ValidationError):
        access_request_return(access_request=draft, actor=dac_member, reason="")
    draft.refresh_from_db()
    assert draft.status == RequestStatus.IN_REVIEW


def test_returned_request_is_edited_and_resubmitted_through_the_check_again(draft, dac_member):
    access_request_submit(access_request=draft, actor=draft.requester)
    access_request_return(access_request=draft, actor=dac_member, reason="Name the cohort.")
    draft.refresh_from_db()
    assert draft.status == RequestStatus.RETURNED
    access_request_update(
        access_request=draft, actor=draft.requester, data={"purpose": "Asthma cohort A."}
    )
    again = access_request_submit(access_request=draft, actor=draft.requester)
    assert again.status == RequestStatus.IN_REVIEW
    assert again.snapshot["form"]["purpose"] == "Asthma cohort A."


def test_withdrawal_from_an_open_state_needs_a_reason_once_submitted(draft, dac_member):
    access_request_submit(access_request=draft, actor=draft.requester)
    with pytest.raises(ValidationError):
        access_request_withdraw(access_request=draft, actor=draft.requester)
    withdrawn = access_request_withdraw(
        access_request=draft, actor=draft.requester, reason="Found another cohort."
    )
    assert withdrawn.status == RequestStatus.WITHDRAWN
    with pytest.raises(TransitionError):
        access_request_withdraw(access_request=draft, actor=draft.requester, reason="again")


def test_reapplying_copies_the_request_into_a_new_linked_draft(draft, dac_member, asthma):
    access_request_submit(access_request=draft, actor=draft.requester)
    access_request_reject(access_request=draft, actor=dac_member, reason="Too broad.")
    draft.refresh_from_db()
    copy = access_request_reapply(access_request=draft, actor=draft.requester)
    assert copy.status == RequestStatus.DRAFT
    assert copy.previous_request == draft
    assert copy.purpose == draft.purpose
    assert list(copy.diseases.all()) == [asthma]


def test_a_second_open_request_for_the_same_dataset_is_not_allowed(draft, request_data):
    with pytest.raises(NotAllowed):
        access_request_create(
            dataset=draft.dataset,
            requester=draft.requester,
            organisation=draft.organisation,
            data=request_data,
        )


def test_only_the_requester_submits_and_a_decided_request_cannot_be_decided_again(
    draft, dac_member
):
    with pytest.raises(NotAllowed):
        access_request_submit(access_request=draft, actor=dac_member)
    access_request_submit(access_request=draft, actor=draft.requester)
    access_request_reject(access_request=draft, actor=dac_member, reason="No.")
    with pytest.raises(TransitionError):
        access_request_approve(access_request=draft, actor=dac_member)
    assert AccessRequest.objects.get(pk=draft.pk).status == RequestStatus.REJECTED


def test_submission_requires_the_datasets_obligations_to_be_accepted(draft):
    access_request_update(access_request=draft, actor=draft.requester, data={"attestations": []})
    with pytest.raises(ValidationError) as error:
        access_request_submit(access_request=draft, actor=draft.requester)
    assert "attestations" in error.value.message_dict
    draft.refresh_from_db()
    assert draft.status == RequestStatus.DRAFT


def test_auto_approval_happens_only_when_the_committee_opted_in_and_every_check_passes(
    draft, dac_member
):
    draft.dataset.auto_approve = True
    draft.dataset.save()
    approved = access_request_submit(access_request=draft, actor=draft.requester)
    assert approved.status == RequestStatus.APPROVED
    assert approved.decided_by is None
    assert AccessGrant.objects.filter(request=approved, status=GrantStatus.ACTIVE).exists()
    assert AuditEvent.objects.get(action="request.approve").actor_role == "system (auto-approval)"


def test_auto_approval_does_not_apply_when_a_check_needs_the_committee(
    draft, dac_member, partner_org
):
    draft.dataset.auto_approve = True
    draft.dataset.save()
    access_request_update(
        access_request=draft, actor=draft.requester, data={"is_controls_only": True}
    )
    submitted = access_request_submit(access_request=draft, actor=draft.requester)
    assert submitted.status == RequestStatus.IN_REVIEW
    assert submitted.check_outcome == "needs_dac"
