"""Conflict of interest: the SQL rule that refuses, and the explanation the page shows, agree;
escalation to staff when nobody unconflicted is left."""

import pytest

from apps.access.models import RequestStatus
from apps.access.policy import Action, can
from apps.access.selectors import request_seats
from apps.access.services import (
    access_request_create,
    access_request_declare_conflict,
    access_request_submit,
    committee_member_end,
)
from apps.audit.models import AuditEvent
from apps.notifications.models import EventType, Notification
from tests.access.factories import CommitteeMemberFactory
from tests.accounts.factories import UserFactory
from tests.organisations.factories import AffiliationFactory


@pytest.fixture
def submitted(
    controlled_dataset, partner_member, partner_org, request_data, dac_member, conflicted_member
):
    draft = access_request_create(
        dataset=controlled_dataset,
        requester=partner_member,
        organisation=partner_org,
        data=request_data,
    )
    return access_request_submit(access_request=draft, actor=partner_member)


def test_the_explained_conflicts_agree_with_the_rule_that_refuses(
    submitted, partner_member, committee, lead_org
):
    # A third member who shares a second organisation with the requester.
    both = UserFactory()
    AffiliationFactory(user=both, organisation=lead_org)
    AffiliationFactory(user=partner_member, organisation=lead_org)
    CommitteeMemberFactory(committee=committee, user=both, organisation=lead_org)
    for seat in request_seats(submitted):
        assert can(seat.member.user, Action.DECIDE, submitted) is not seat.conflicted
        assert can(seat.member.user, Action.VIEW_PURPOSE, submitted) is not seat.conflicted
    assert {s.member.user.email: s.conflicted for s in request_seats(submitted)} == {
        "reviewer@nhs.test": False,
        "dac@example.ac.uk": True,
        both.email: True,
    }


def test_the_conflict_determination_is_audited_at_submission(submitted, conflicted_member):
    event = AuditEvent.objects.get(action="request.conflicts", target_id=str(submitted.pk))
    flags = {s["user"]: s["conflicted"] for s in event.details["seats"]}
    assert flags[str(conflicted_member.pk)] is True


def test_conflicted_members_are_not_notified_as_reviewers(submitted, dac_member, conflicted_member):
    filed = Notification.objects.filter(event_type=EventType.REQUEST_FILED)
    assert list(filed.values_list("recipient", flat=True)) == [dac_member.pk]


def test_a_request_with_only_conflicted_members_goes_to_staff(
    controlled_dataset, partner_member, partner_org, request_data, conflicted_member, staff
):
    draft = access_request_create(
        dataset=controlled_dataset,
        requester=partner_member,
        organisation=partner_org,
        data=request_data,
    )
    submitted = access_request_submit(access_request=draft, actor=partner_member)
    assert submitted.escalated_to_staff
    assert can(staff, Action.DECIDE, submitted)
    assert not can(conflicted_member, Action.DECIDE, submitted)
    assert Notification.objects.filter(event_type=EventType.REQUEST_FILED, recipient=staff).exists()


def test_staff_do_not_decide_a_request_that_did_not_escalate(submitted, staff):
    assert not can(staff, Action.DECIDE, submitted)


def test_ending_the_last_unconflicted_seat_escalates_open_requests(
    submitted, dac_member, coordinator
):
    seat = dac_member.committee_seats.get()
    committee_member_end(member=seat, actor=coordinator, reason="Stepped down")
    submitted.refresh_from_db()
    assert submitted.escalated_to_staff
    assert not can(dac_member, Action.DECIDE, submitted)


def test_declaring_a_conflict_takes_away_the_purpose_and_the_decision(submitted, dac_member):
    access_request_declare_conflict(access_request=submitted, actor=dac_member, reason="Co-author")
    assert not can(dac_member, Action.DECIDE, submitted)
    assert not can(dac_member, Action.VIEW_PURPOSE, submitted)
    assert can(dac_member, Action.VIEW, submitted)  # still sees that it exists


def test_the_requester_always_reads_their_own_purpose(submitted, partner_member):
    assert can(partner_member, Action.VIEW_PURPOSE, submitted)
    assert not can(partner_member, Action.DECIDE, submitted)


def test_committee_members_never_see_drafts(
    controlled_dataset, partner_member, partner_org, request_data, dac_member
):
    draft = access_request_create(
        dataset=controlled_dataset,
        requester=partner_member,
        organisation=partner_org,
        data=request_data,
    )
    assert draft.status == RequestStatus.DRAFT
    assert not can(dac_member, Action.VIEW, draft)
