"""Votes under a committee's decision rule (#18), and the rule itself.

A vote locks the request row first (`lock_request`), records the vote and its audit event, then
asks the rule (`apps.access.voting.tally`) whether the votes now decide; if so the decision is
taken in the same transaction by the vote that settled it. Two members voting at the same
moment are therefore serialised by the row lock: the second sees the first's vote (and any
decision it took), so exactly one decision stands."""

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.access.exceptions import NotAllowed, TransitionError
from apps.access.models import (
    AccessRequest,
    CommitteeVote,
    DataAccessCommittee,
    DecisionRule,
    RequestStatus,
    VoteChoice,
)
from apps.access.models_committee import VOTING_RULES
from apps.access.policy import can
from apps.access.policy.committee_work import VOTE
from apps.access.selectors import request_seats
from apps.access.services.decisions import NOBODY_CAN_DECIDE, approve, escalate, reject
from apps.access.services.request_base import (
    lock_request,
    request_audit,
    require_reason,
)
from apps.access.voting import APPROVE, REJECT, Tally, tally
from apps.audit.services import audit_record
from apps.security.mfa import MFA_REQUIRED_MESSAGE, user_needs_mfa_enrolment


# --- The committee's rule --------------------------------------------------------------------
@transaction.atomic
def committee_rules_set(
    *, committee: DataAccessCommittee, actor, decision_rule: str, quorum: int, request=None
) -> DataAccessCommittee:
    """Change how the committee decides. Requests already in review follow the new rule from
    their next vote; any whose quorum is now out of reach escalate to staff at once."""
    locked = DataAccessCommittee.objects.select_for_update().get(pk=committee.pk)
    before = f"{locked.decision_rule}, quorum {locked.quorum}"
    locked.decision_rule = decision_rule
    locked.quorum = 1 if decision_rule == DecisionRule.ANY_MEMBER else quorum
    locked.full_clean()
    locked.save(update_fields=["decision_rule", "quorum", "updated_at"])
    audit_record(
        actor=actor,
        action="committee.rules.set",
        target=locked,
        request=request,
        project_id=locked.project_id,
        from_state=before,
        to_state=f"{locked.decision_rule}, quorum {locked.quorum}",
    )
    from apps.access.services.decisions import access_request_escalate_if_needed

    in_review = AccessRequest.objects.system(
        "new rules are re-checked against every request in review"
    ).filter(
        dataset__project_id=locked.project_id,
        status=RequestStatus.IN_REVIEW,
        escalated_to_staff=False,
    )
    for access_request in in_review:
        access_request_escalate_if_needed(access_request=access_request, actor=actor)
    return locked


# --- Reading the votes of the current round ---------------------------------------------------
def committee_of(access_request) -> DataAccessCommittee | None:
    committees = DataAccessCommittee.objects.system("a request is decided by its own committee")
    return committees.filter(project_id=access_request.dataset.project_id).first()


def decides_by_vote(access_request) -> bool:
    committee = committee_of(access_request)
    return committee is not None and committee.decision_rule in VOTING_RULES


def round_votes(access_request):
    """This submission's votes (a returned and resubmitted request starts a new round)."""
    # Every vote counts for the rule; a page narrows them with visible() before showing them.
    votes = CommitteeVote.objects.system("a round's votes, counted by the committee's rule")
    return votes.filter(
        request_id=access_request.pk, round_submitted_at=access_request.submitted_at
    ).select_related("voter")


def request_tally(access_request) -> Tally | None:
    """The rule applied to this round's votes; None for a committee whose members decide alone."""
    committee = committee_of(access_request)
    if committee is None or committee.decision_rule not in VOTING_RULES:
        return None
    seats = request_seats(access_request)
    eligible = {s.member.user_id for s in seats if not s.conflicted}
    chair = next((s.member.user_id for s in seats if s.member.is_chair), None)
    return tally(
        rule=committee.decision_rule,
        quorum=committee.quorum,
        eligible=eligible,
        chair=chair,
        votes=round_votes(access_request).values_list("voter_id", "choice"),
    )


def unreachable_reason(access_request) -> str | None:
    """Why the committee cannot decide this request (so it goes to staff), or None if it can."""
    result = request_tally(access_request)
    if result is None:  # members decide alone: anyone unconflicted will do
        if any(not s.conflicted for s in request_seats(access_request)):
            return None
        return NOBODY_CAN_DECIDE
    return None if result.quorum_reachable else result.explanation


def quorum_reachable(access_request) -> bool:
    return unreachable_reason(access_request) is None


# --- Voting ----------------------------------------------------------------------------------
def _validate_vote(locked, actor, choice: str, reason: str) -> str:
    if choice not in VoteChoice.values:
        raise ValidationError({"choice": "Choose approve, reject or abstain."})
    reason = require_reason(reason)
    committee = committee_of(locked)
    is_chair = committee.members.filter(user=actor, is_chair=True, ended_at__isnull=True).exists()
    if committee.decision_rule == DecisionRule.CHAIR and is_chair and choice == "abstain":
        raise ValidationError({"choice": "As chair your vote decides: approve or reject."})
    return reason


@transaction.atomic
def access_request_vote(
    *, access_request, actor, choice: str, reason: str, request=None
) -> CommitteeVote:
    """Record `actor`'s vote on this round; take the decision if the rule is now met.

    Raises TransitionError when the request was decided (or left review) meanwhile, NotAllowed
    when the actor may not vote (conflicted, not on the committee, committee decides alone)."""
    locked = lock_request(access_request)
    if locked.status != RequestStatus.IN_REVIEW or locked.decided_at is not None:
        raise TransitionError("The committee has already decided this request.")
    if user_needs_mfa_enrolment(actor):
        raise NotAllowed(MFA_REQUIRED_MESSAGE)
    if not can(actor, VOTE, locked):
        raise NotAllowed("You cannot vote on this request.")
    reason = _validate_vote(locked, actor, choice, reason)
    if round_votes(locked).filter(voter=actor).exists():
        raise TransitionError("You have already voted on this request.")
    vote = CommitteeVote(
        request=locked,
        voter=actor,
        round_submitted_at=locked.submitted_at,
        choice=choice,
        reason=reason,
    )
    vote.full_clean()
    vote.save()
    request_audit(
        locked,
        actor=actor,
        action="request.vote",
        request=request,
        from_state=locked.status,
        reason=reason,
        details={"vote": choice, "vote_id": str(vote.pk)},
    )
    _decide_if_rule_met(locked, actor=actor, request=request)
    return vote


def _decide_if_rule_met(locked, *, actor, request=None) -> None:
    result = request_tally(locked)
    if result is None:
        return
    if not result.quorum_reachable:
        escalate(locked, actor=actor, request=request, reason=result.explanation)
        return
    if result.outcome is None:
        return
    committee = committee_of(locked)
    reason = f"{result.explanation} {result.summary()}"
    details = {"rule": committee.decision_rule, "quorum": committee.quorum, "tally": reason}
    if result.outcome == APPROVE:
        approve(locked, actor=actor, approved_until=None, reason=reason, request=request)
        return
    assert result.outcome == REJECT
    reject(
        locked,
        actor=actor,
        reason=reason,
        request=request,
        actor_role=f"committee ({committee.get_decision_rule_display().lower()})",
        details=details,
    )
