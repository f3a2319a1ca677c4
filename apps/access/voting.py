"""The committee's decision rules as one pure function: who may vote, how they voted, and the
rule and quorum in, an outcome (or none yet) with a sentence saying why out.

Only votes by members who may vote now count: a member who became conflicted, or whose seat
ended, after voting no longer weighs on the outcome, and the quorum counts only the members who
may vote (ACCESS.md). Abstentions count towards the quorum but never as approval."""

from collections.abc import Iterable
from dataclasses import dataclass

from apps.access.models_committee import DecisionRule, VoteChoice

APPROVE, REJECT = VoteChoice.APPROVE.value, VoteChoice.REJECT.value


@dataclass(frozen=True)
class Tally:
    outcome: str | None  # "approve", "reject", or None while the rule is not yet met
    approvals: int
    rejections: int
    abstentions: int
    may_vote: int
    quorum: int
    quorum_reachable: bool
    explanation: str

    @property
    def cast(self) -> int:
        return self.approvals + self.rejections + self.abstentions

    def summary(self) -> str:
        return (
            f"{self.approvals} approved, {self.rejections} rejected, {self.abstentions} "
            f"abstained, of {self.may_vote} members who may vote (quorum {self.quorum})."
        )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def tally(
    *,
    rule: str,
    quorum: int,
    eligible: Iterable,
    chair=None,
    votes: Iterable[tuple[object, str]],
) -> Tally:
    """`eligible`: ids of the members who may vote; `chair`: the chair's id when the chair may
    vote on this request, else None; `votes`: (voter id, choice) pairs of this round."""
    eligible = set(eligible)
    counted = {voter: choice for voter, choice in votes if voter in eligible}
    approvals = sum(1 for c in counted.values() if c == APPROVE)
    rejections = sum(1 for c in counted.values() if c == REJECT)
    cast, n = len(counted), len(eligible)
    reachable = n >= max(quorum, 1) and (rule != DecisionRule.CHAIR or chair in eligible)

    def result(outcome, explanation):
        return Tally(
            outcome,
            approvals,
            rejections,
            cast - approvals - rejections,
            n,
            quorum,
            reachable,
            explanation,
        )

    if not reachable:
        if rule == DecisionRule.CHAIR and chair not in eligible:
            return result(None, "The chair cannot vote on this request.")
        return result(
            None,
            f"Only {_plural(n, 'member')} may vote, fewer than the quorum of {quorum}.",
        )
    if cast < quorum:
        return result(None, f"{_plural(cast, 'vote')} of the quorum of {quorum} cast so far.")
    if rule == DecisionRule.CHAIR:
        chair_vote = counted.get(chair)
        if chair_vote in (APPROVE, REJECT):
            return result(chair_vote, "The chair's vote decides.")
        return result(None, "The quorum has voted; the chair's vote decides.")
    if rule == DecisionRule.MAJORITY:
        if approvals * 2 > n:
            return result(APPROVE, "More than half of the members who may vote approved.")
        if (approvals + n - cast) * 2 <= n:
            return result(REJECT, "More than half can no longer approve.")
        return result(None, "No majority yet.")
    if rule == DecisionRule.UNANIMOUS:
        if rejections:
            return result(REJECT, "A member rejected; the rule asks for every member.")
        if cast == n:
            if approvals:
                return result(APPROVE, "Every member who may vote approved or abstained.")
            return result(REJECT, "Every member abstained; nobody approved.")
        return result(None, "Waiting for every member who may vote.")
    return result(None, "This committee's members decide alone, without votes.")
