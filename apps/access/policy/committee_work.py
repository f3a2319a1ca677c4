"""The committee's work on a request beyond deciding it (#18): votes. Same conflict rules as
`requests.py`: a conflicted member neither votes nor reads what others voted (a vote's reason
may quote the confidential purpose)."""

from django.db.models import Q

from apps.access.models import AccessRequest, CommitteeVote, DecisionRule, RequestStatus
from apps.access.policy import NOTHING, Action, rule
from apps.access.policy.requests import _seat_q, request_conflict_q
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
