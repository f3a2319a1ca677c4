"""The committee's work on a request beyond deciding it (#18): votes. Same conflict rules as
`requests.py`: a conflicted member neither votes nor reads what others voted (a vote's reason
may quote the confidential purpose)."""

from django.db.models import Q

from apps.access.models import (
    AccessRequest,
    CommitteeVote,
    DecisionRule,
    RequestReview,
    RequestStatus,
)
from apps.access.policy import NOTHING, Action, rule
from apps.access.policy.requests import _seat_q, _steward_admin_q, request_conflict_q
from apps.access.policy.subjects import is_signed_in, is_staff
from apps.core.models import AccessTier
from apps.security.mfa import user_may_use_privileges

# Not in the lead's Action enum: cast a vote under a committee's voting rule.
VOTE = "vote"


def _voting_committee_q(prefix: str = "") -> Q:
    return ~Q(**{f"{prefix}dataset__project__committee__decision_rule": DecisionRule.ANY_MEMBER})


@rule(AccessRequest, VOTE)
def access_request_vote(user) -> Q:
    """Non-conflicted current seat holders of a committee that decides by vote, while the
    request is in review, controlled and undecided. Staff never vote: an escalated request is
    decided by staff directly (`Action.DECIDE`)."""
    if not is_signed_in(user) or not user_may_use_privileges(user):
        return NOTHING
    open_for_votes = Q(
        status=RequestStatus.IN_REVIEW,
        decided_at__isnull=True,
        escalated_to_staff=False,
        dataset__access_tier=AccessTier.CONTROLLED,
    )
    return open_for_votes & _voting_committee_q() & _seat_q(user) & ~request_conflict_q(user)


@rule(CommitteeVote, Action.VIEW)
def committee_vote_view(user) -> Q:
    """The votes on a request: its non-conflicted committee seats, and staff."""
    if is_staff(user):
        return Q()
    if not is_signed_in(user):
        return NOTHING
    return _seat_q(user, "request__") & ~request_conflict_q(user, "request__")


# --- Reviewers --------------------------------------------------------------------------------
# Not in the lead's Action enum: ask a named person for a written review of a request.
ASK_REVIEW = "ask_review"
# What the committee sees of a request beyond its page: seats, conflicts, earlier requests.
COMMITTEE_VIEW = "committee_view"


@rule(AccessRequest, ASK_REVIEW)
def access_request_ask_review(user) -> Q:
    """Non-conflicted current seat holders, while the request is in review."""
    if not is_signed_in(user) or not user_may_use_privileges(user):
        return NOTHING
    return Q(status=RequestStatus.IN_REVIEW) & _seat_q(user) & ~request_conflict_q(user)


@rule(AccessRequest, COMMITTEE_VIEW)
def access_request_committee_view(user) -> Q:
    """The committee's side panel (seats, conflicts, the person's earlier requests): current
    seat holders, the steward organisation's admins where it approves too, and staff. Not
    reviewers (they see the one request) nor the requester."""
    if is_staff(user):
        return Q()
    if not is_signed_in(user):
        return NOTHING
    return (_seat_q(user) | _steward_admin_q(user)) & ~Q(status=RequestStatus.DRAFT)


@rule(RequestReview, Action.VIEW)
def request_review_view(user) -> Q:
    """A review: its reviewer, the request's non-conflicted seat holders, staff."""
    if is_staff(user):
        return Q()
    if not is_signed_in(user):
        return NOTHING
    committee = _seat_q(user, "request__") & ~request_conflict_q(user, "request__")
    return Q(reviewer_id=user.pk) | committee


@rule(RequestReview, Action.EDIT)
def request_review_write(user) -> Q:
    """The reviewer writes their review once, while the request is in review and they are not
    conflicted on it."""
    if not is_signed_in(user):
        return NOTHING
    return Q(
        reviewer_id=user.pk, submitted_at__isnull=True, request__status=RequestStatus.IN_REVIEW
    ) & ~request_conflict_q(user, "request__")
