"""Decision rules per committee (#18): votes with reasons, quorum counting only members who may
vote, conflicted members kept out, escalation when the quorum is out of reach."""

import pytest
from django.urls import reverse

from apps.access.exceptions import NotAllowed, TransitionError
from apps.access.models import (
    AccessGrant,
    CommitteeVote,
    DecisionRule,
    RequestStatus,
)
from apps.access.services import (
    access_request_approve,
    access_request_create,
    access_request_submit,
    access_request_vote,
    committee_rules_set,
)
from apps.access.voting import tally
from apps.audit.models import AuditEvent

DECISIONS = ("request.approve", "request.reject")


def _vote(access_request, user, choice, reason="Looked at the purpose and the policy."):
    return access_request_vote(
        access_request=access_request, actor=user, choice=choice, reason=reason
    )


def _events(access_request, *actions):
    return AuditEvent.objects.filter(target_id=str(access_request.pk), action__in=actions)


# --- The rule as a pure function ----------------------------------------------------------------
def test_majority_waits_for_the_quorum_then_needs_more_than_half_of_those_who_may_vote():
    eligible = {"a", "b", "c"}
    two_approvals = tally(
        rule=DecisionRule.MAJORITY,
        quorum=3,
        eligible=eligible,
        votes=[("a", "approve"), ("b", "approve")],
    )
    assert two_approvals.outcome is None  # 2 votes < quorum 3
    decided = tally(
        rule=DecisionRule.MAJORITY,
        quorum=3,
        eligible=eligible,
        votes=[("a", "approve"), ("b", "approve"), ("c", "reject")],
    )
    assert decided.outcome == "approve"
    assert (decided.approvals, decided.rejections, decided.may_vote) == (2, 1, 3)


def test_majority_rejects_once_more_than_half_can_no_longer_approve():
    result = tally(
        rule=DecisionRule.MAJORITY,
        quorum=2,
        eligible={"a", "b", "c", "d"},
        votes=[("a", "reject"), ("b", "abstain"), ("c", "reject")],
    )
    assert result.outcome == "reject"


def test_votes_of_people_who_may_no_longer_vote_do_not_count():
    result = tally(
        rule=DecisionRule.MAJORITY,
        quorum=2,
        eligible={"a", "b", "c"},
        votes=[("a", "approve"), ("conflicted", "approve"), ("gone", "approve")],
    )
    assert result.outcome is None
    assert result.cast == 1


def test_unanimous_one_rejection_rejects_and_every_member_must_approve_or_abstain():
    eligible = {"a", "b", "c"}
    assert (
        tally(
            rule=DecisionRule.UNANIMOUS, quorum=1, eligible=eligible, votes=[("a", "reject")]
        ).outcome
        == "reject"
    )
    partial = tally(
        rule=DecisionRule.UNANIMOUS,
        quorum=1,
        eligible=eligible,
        votes=[("a", "approve"), ("b", "approve")],
    )
    assert partial.outcome is None
    full = tally(
        rule=DecisionRule.UNANIMOUS,
        quorum=1,
        eligible=eligible,
        votes=[("a", "approve"), ("b", "approve"), ("c", "abstain")],
    )
    assert full.outcome == "approve"


def test_chair_rule_takes_the_chairs_vote_once_the_quorum_has_voted():
    eligible = {"chair", "b", "c"}
    early = tally(
        rule=DecisionRule.CHAIR,
        quorum=2,
        eligible=eligible,
        chair="chair",
        votes=[("chair", "reject")],
    )
    assert early.outcome is None
    decided = tally(
        rule=DecisionRule.CHAIR,
        quorum=2,
        eligible=eligible,
        chair="chair",
        votes=[("chair", "reject"), ("b", "approve")],
    )
    assert decided.outcome == "reject"


def test_chair_rule_cannot_be_met_when_the_chair_is_conflicted():
    result = tally(rule=DecisionRule.CHAIR, quorum=1, eligible={"b"}, chair="chair", votes=[])
    assert not result.quorum_reachable


def test_quorum_larger_than_the_members_who_may_vote_is_out_of_reach():
    result = tally(rule=DecisionRule.MAJORITY, quorum=4, eligible={"a", "b", "c"}, votes=[])
    assert not result.quorum_reachable
    assert "fewer than the quorum of 4" in result.explanation


# --- Votes through the service -----------------------------------------------------------------
def test_two_approvals_and_one_rejection_decide_under_majority_with_quorum_three(
    submitted, voting_committee
):
    _, m = voting_committee
    _vote(submitted, m["chair"], "approve")
    _vote(submitted, m["pharma"], "approve")
    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.IN_REVIEW  # quorum of three not met yet
    _vote(submitted, m["charity"], "reject", reason="The cohort is too small for this.")
    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.APPROVED
    assert submitted.decided_by == m["charity"]
    assert (
        "2 approved, 1 rejected, 0 abstained, of 3 members who may vote"
        in submitted.decision_reason
    )
    assert AccessGrant.objects.filter(request=submitted).count() == 1
    assert _events(submitted, "request.vote").count() == 3
    assert _events(submitted, *DECISIONS).count() == 1


def test_each_vote_is_audited_once_with_its_choice_and_reason(submitted, voting_committee):
    _, m = voting_committee
    _vote(submitted, m["pharma"], "abstain", reason="I reviewed a similar request last year.")
    event = _events(submitted, "request.vote").get()
    assert event.actor == m["pharma"]
    assert event.reason == "I reviewed a similar request last year."
    assert event.details["vote"] == "abstain"


def test_conflicted_member_cannot_vote(submitted, voting_committee):
    _, m = voting_committee
    with pytest.raises(NotAllowed):
        _vote(submitted, m["conflicted"], "approve")
    assert not CommitteeVote.objects.filter(request=submitted).exists()


def test_a_vote_needs_a_reason(submitted, voting_committee):
    from django.core.exceptions import ValidationError

    _, m = voting_committee
    with pytest.raises(ValidationError):
        _vote(submitted, m["chair"], "approve", reason="  ")


def test_a_member_votes_once_per_round(submitted, voting_committee):
    _, m = voting_committee
    _vote(submitted, m["chair"], "approve")
    with pytest.raises(TransitionError):
        _vote(submitted, m["chair"], "reject")


def test_a_vote_after_the_decision_is_refused(submitted, voting_committee, committee):
    _, m = voting_committee
    committee_rules_set(
        committee=committee, actor=None, decision_rule=DecisionRule.MAJORITY, quorum=2
    )
    _vote(submitted, m["chair"], "approve")
    _vote(submitted, m["pharma"], "approve")
    with pytest.raises(TransitionError):
        _vote(submitted, m["charity"], "reject")
    assert _events(submitted, *DECISIONS).count() == 1


def test_a_member_cannot_approve_alone_when_the_committee_votes(submitted, voting_committee):
    _, m = voting_committee
    with pytest.raises(NotAllowed):
        access_request_approve(access_request=submitted, actor=m["chair"])


def test_request_escalates_to_staff_when_the_quorum_counts_more_than_those_who_may_vote(
    controlled_dataset, partner_member, partner_org, request_data, voting_committee, committee
):
    committee.quorum = 4  # four seats, but the university member is conflicted
    committee.save()
    draft = access_request_create(
        dataset=controlled_dataset,
        requester=partner_member,
        organisation=partner_org,
        data=request_data,
    )
    submitted = access_request_submit(access_request=draft, actor=partner_member)
    assert submitted.escalated_to_staff
    escalation = _events(submitted, "request.escalate").get()
    assert "fewer than the quorum of 4" in escalation.reason


def test_raising_the_quorum_beyond_reach_escalates_requests_in_review(
    submitted, voting_committee, committee, coordinator
):
    committee_rules_set(
        committee=committee, actor=coordinator, decision_rule=DecisionRule.MAJORITY, quorum=5
    )
    submitted.refresh_from_db()
    assert submitted.escalated_to_staff
    assert (
        AuditEvent.objects.filter(action="committee.rules.set", target_id=str(committee.pk)).count()
        == 1
    )


def test_staff_decide_an_escalated_request_directly(submitted, voting_committee, committee, staff):
    committee_rules_set(
        committee=committee, actor=None, decision_rule=DecisionRule.MAJORITY, quorum=5
    )
    submitted.refresh_from_db()
    access_request_approve(
        access_request=submitted, actor=staff, reason="Escalated; approved by staff."
    )
    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.APPROVED


# --- Pages ----------------------------------------------------------------------------------------
def test_conflicted_member_sees_no_purpose_no_votes_and_no_vote_form(
    client, submitted, voting_committee
):
    _, m = voting_committee
    _vote(submitted, m["chair"], "approve", reason="Fits the DS condition well.")
    client.force_login(m["conflicted"])
    page = client.get(reverse("access:request_detail", args=[submitted.pk])).content.decode()
    assert "eosinophil signature" not in page
    assert "Fits the DS condition well." not in page
    assert "Record my vote" not in page
    assert "hidden from you because you have a conflict of interest" in page


def test_server_refuses_a_conflicted_members_vote_with_403(client, submitted, voting_committee):
    _, m = voting_committee
    client.force_login(m["conflicted"])
    response = client.post(
        reverse("access:request_vote", args=[submitted.pk]),
        {"choice": "approve", "reason": "Fine."},
    )
    assert response.status_code == 403
    assert not CommitteeVote.objects.exists()


def test_outsider_gets_404_for_the_vote_url(client, submitted, outsider):
    client.force_login(outsider)
    response = client.post(
        reverse("access:request_vote", args=[submitted.pk]), {"choice": "approve", "reason": "x"}
    )
    assert response.status_code == 404


def test_member_votes_from_the_page_and_sees_the_tally(client, submitted, voting_committee):
    _, m = voting_committee
    client.force_login(m["pharma"])
    page = client.get(reverse("access:request_detail", args=[submitted.pk])).content.decode()
    assert "Record my vote" in page
    assert "Record decision" not in page  # members vote; they do not decide alone
    response = client.post(
        reverse("access:request_vote", args=[submitted.pk]),
        {"choice": "approve", "reason": "Within the consented use."},
    )
    assert response.status_code == 302
    page = client.get(reverse("access:request_detail", args=[submitted.pk])).content.decode()
    assert "Within the consented use." in page
    assert "1 approved, 0 rejected, 0 abstained, of 3 members who may vote (quorum 3)" in page
    assert "Record my vote" not in page


def test_vote_without_a_reason_shows_the_error_and_records_nothing(
    client, submitted, voting_committee
):
    _, m = voting_committee
    client.force_login(m["pharma"])
    response = client.post(
        reverse("access:request_vote", args=[submitted.pk]), {"choice": "approve"}
    )
    assert response.status_code == 400
    assert "Give a reason for your vote." in response.content.decode()
    assert not CommitteeVote.objects.exists()


def test_coordinator_sets_the_decision_rule_on_the_members_page(client, committee, coordinator):
    client.force_login(coordinator)
    response = client.post(
        reverse("access:committee_rules", args=[committee.project.slug]),
        {"decision_rule": "unanimous", "quorum": "2"},
    )
    assert response.status_code == 302
    committee.refresh_from_db()
    assert (committee.decision_rule, committee.quorum) == ("unanimous", 2)


def test_member_cannot_change_the_decision_rule(client, committee, voting_committee):
    _, m = voting_committee
    client.force_login(m["chair"])
    response = client.post(
        reverse("access:committee_rules", args=[committee.project.slug]),
        {"decision_rule": "any_member", "quorum": "1"},
    )
    assert response.status_code == 403
