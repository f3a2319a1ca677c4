"""Acceptance 4: two decisions racing on PostgreSQL leave exactly one decision and one audit
event. Real threads, real connections, committed data (transactional database)."""

import threading

import pytest
from django.db import connection

from apps.access.exceptions import TransitionError
from apps.access.models import AccessGrant, AccessRequest, RequestStatus
from apps.access.services import (
    access_request_approve,
    access_request_create,
    access_request_reject,
    access_request_submit,
)
from apps.audit.models import AuditEvent
from apps.core.guard import system_reads
from tests.access.factories import CommitteeMemberFactory
from tests.accounts.factories import UserFactory
from tests.organisations.factories import AffiliationFactory

DECISION_ACTIONS = ("request.approve", "request.reject", "request.return")


def _approve(access_request, actor):
    access_request_approve(access_request=access_request, actor=actor)


def _reject(access_request, actor):
    access_request_reject(access_request=access_request, actor=actor, reason="Out of scope")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("first", "second"), [(_approve, _approve), (_approve, _reject), (_reject, _reject)]
)
def test_two_racing_decisions_leave_exactly_one_decision_and_one_audit_event(
    first,
    second,
    controlled_dataset,
    partner_member,
    partner_org,
    request_data,
    dac_member,
    nhs_org,
    committee,
):
    other_reviewer = UserFactory(email="second@nhs.test")
    AffiliationFactory(user=other_reviewer, organisation=nhs_org)
    CommitteeMemberFactory(committee=committee, user=other_reviewer, organisation=nhs_org)
    draft = access_request_create(
        dataset=controlled_dataset,
        requester=partner_member,
        organisation=partner_org,
        data=request_data,
    )
    access_request_submit(access_request=draft, actor=partner_member)

    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    @system_reads("a racing test thread (threads do not inherit the test's context)")
    def decide(service, actor):
        try:
            fresh = AccessRequest.objects.get(pk=draft.pk)
            barrier.wait(timeout=10)
            service(fresh, actor)
            outcomes.append("decided")
        except TransitionError:
            outcomes.append("too late")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=(first, dac_member)),
        threading.Thread(target=decide, args=(second, other_reviewer)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["decided", "too late"]
    decided = AccessRequest.objects.get(pk=draft.pk)
    assert decided.status in (RequestStatus.APPROVED, RequestStatus.REJECTED)
    events = AuditEvent.objects.filter(target_id=str(draft.pk), action__in=DECISION_ACTIONS)
    assert events.count() == 1
    assert AccessGrant.objects.filter(request=decided).count() == (
        1 if decided.status == RequestStatus.APPROVED else 0
    )
