"""Grants over time: the check reads the clock itself; the sweeps record and notify once."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from apps.access.exceptions import TransitionError
from apps.access.models import GrantStatus
from apps.access.policy import Action, can
from apps.access.services import (
    grant_reinstate,
    grant_revoke,
    grant_suspend,
    grants_mark_expired,
    grants_send_expiry_notices,
)
from apps.access.tasks import access_grants_expire, access_grants_send_expiry_notices
from apps.audit.models import AuditEvent
from apps.notifications.models import EventType, Notification
from tests.access.factories import AccessGrantFactory


@pytest.fixture
def grant(controlled_dataset, partner_member, partner_org):
    return AccessGrantFactory(
        request__dataset=controlled_dataset,
        request__requester=partner_member,
        request__organisation=partner_org,
        valid_until=timezone.now() + datetime.timedelta(days=20),
    )


def can_download(grant) -> bool:
    return can(grant.user, Action.DOWNLOAD, grant.dataset.files.get())


def test_a_grant_stops_working_at_its_end_even_if_no_sweep_ran(grant):
    assert can_download(grant)
    with time_machine.travel(grant.valid_until + datetime.timedelta(seconds=1)):
        assert not can_download(grant)
        grant.refresh_from_db()
        assert grant.status == GrantStatus.ACTIVE  # nothing swept, access stopped anyway


def test_the_expiry_sweep_marks_once_and_tells_the_holder_once(grant):
    with time_machine.travel(grant.valid_until + datetime.timedelta(hours=1)):
        assert access_grants_expire() == 1
        assert access_grants_expire() == 0
    grant.refresh_from_db()
    assert grant.status == GrantStatus.EXPIRED
    assert Notification.objects.filter(event_type=EventType.GRANT_EXPIRED).count() == 1
    assert AuditEvent.objects.filter(action="grant.expire", target_id=str(grant.pk)).count() == 1


def test_expiry_notices_go_out_at_30_and_7_days_once_each(grant):
    assert access_grants_send_expiry_notices() == 1  # 20 days left: the 30-day notice
    assert access_grants_send_expiry_notices() == 0
    with time_machine.travel(grant.valid_until - datetime.timedelta(days=6)):
        assert grants_send_expiry_notices() == 1
        assert grants_send_expiry_notices() == 0
    notices = Notification.objects.filter(event_type=EventType.GRANT_EXPIRING, recipient=grant.user)
    assert notices.count() == 2


def test_a_grant_first_seen_inside_7_days_gets_only_the_7_day_notice(grant):
    with time_machine.travel(grant.valid_until - datetime.timedelta(days=3)):
        assert grants_send_expiry_notices() == 1
    grant.refresh_from_db()
    assert grant.notice_7_sent_at and grant.notice_30_sent_at


def test_revocation_is_immediate_and_needs_a_reason(grant, dac_member):
    with pytest.raises(Exception, match="reason"):
        grant_revoke(grant=grant, actor=dac_member, reason="")
    grant_revoke(grant=grant, actor=dac_member, reason="Data shared outside the project")
    assert not can_download(grant)
    with pytest.raises(TransitionError):
        grant_revoke(grant=grant, actor=dac_member, reason="again")


def test_suspend_and_reinstate_round_trip(grant, dac_member):
    grant_suspend(grant=grant, actor=dac_member, reason="Ethics approval under review")
    assert not can_download(grant)
    grant_reinstate(grant=grant, actor=dac_member, reason="Renewed")
    assert can_download(grant)
    actions = AuditEvent.objects.filter(target_id=str(grant.pk)).values_list("action", flat=True)
    assert list(actions.order_by("id")) == ["grant.suspend", "grant.reinstate"]


def test_a_grant_cannot_be_reinstated_after_the_holder_left(grant, dac_member):
    grant_suspend(grant=grant, actor=dac_member, reason="Left")
    grant.user.affiliations.update(ended_at=timezone.now())
    with pytest.raises(TransitionError):
        grant_reinstate(grant=grant, actor=dac_member)


def test_the_sweep_ignores_revoked_and_suspended_grants(grant, dac_member):
    grant_revoke(grant=grant, actor=dac_member, reason="Breach")
    with time_machine.travel(grant.valid_until + datetime.timedelta(days=1)):
        assert grants_mark_expired() == 0
