"""#18 acceptance 2: two members voting at the same moment on PostgreSQL leave exactly one
decision. Real threads on their own connections, committed data (transactional database)."""

import threading

import pytest
from django.db import connection

from apps.access.exceptions import TransitionError
from apps.access.models import (
    AccessGrant,
    AccessRequest,
    CommitteeVote,
    DecisionRule,
    RequestStatus,
)
from apps.access.services import access_request_vote, committee_rules_set
from apps.audit.models import AuditEvent
from apps.core.guard import system_reads

DECISIONS = ("request.approve", "request.reject")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "choices", [("approve", "approve"), ("approve", "reject"), ("reject", "approve")]
)
def test_two_members_voting_at_the_same_moment_leave_exactly_one_decision(
    choices, submitted, voting_committee, committee
):
    # Majority of three with quorum two: the chair's approval is in, so each of the next two
    # votes would settle the request on its own if it were alone.
    committee_rules_set(
        committee=committee, actor=None, decision_rule=DecisionRule.MAJORITY, quorum=2
    )
    _, m = voting_committee
    access_request_vote(
        access_request=submitted, actor=m["chair"], choice="approve", reason="Fits."
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    @system_reads("a racing test thread (threads do not inherit the test's context)")
    def vote(actor, choice):
        try:
            fresh = AccessRequest.objects.get(pk=submitted.pk)
            barrier.wait(timeout=10)
            access_request_vote(
                access_request=fresh, actor=actor, choice=choice, reason="Same moment."
            )
            outcomes.append("voted")
        except TransitionError:
            outcomes.append("too late")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=vote, args=(m["pharma"], choices[0])),
        threading.Thread(target=vote, args=(m["charity"], choices[1])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    decided = AccessRequest.objects.get(pk=submitted.pk)
    assert decided.status == RequestStatus.APPROVED
    assert AuditEvent.objects.filter(target_id=str(submitted.pk), action__in=DECISIONS).count() == 1
    assert AccessGrant.objects.filter(request=decided).count() == 1
    votes = AuditEvent.objects.filter(target_id=str(submitted.pk), action="request.vote").count()
    assert votes == CommitteeVote.objects.filter(request=submitted).count()
    if choices == ("approve", "approve"):
        # Either vote settles it alone: the first in decides under the row lock, the second
        # finds the request decided and is refused.
        assert sorted(outcomes) == ["too late", "voted"]
        assert votes == 2
    else:
        # A rejection first leaves 1–1 (no majority of three); the approval then decides. An
        # approval first decides at once and the rejection is refused.
        assert outcomes.count("voted") == (votes - 1)
