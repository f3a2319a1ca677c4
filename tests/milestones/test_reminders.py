"""Acceptance 3: with a frozen clock, one reminder 7 days ahead and one overdue notice, however
many times the daily sweep runs; a deferral re-arms both for the new date."""

import datetime
import zoneinfo

import pytest
import time_machine

from apps.milestones.models import MilestoneStatus
from apps.milestones.reminders import milestone_daily_sweep, sweep_today
from apps.milestones.services import milestone_defer
from apps.notifications.models import EventType, Notification
from tests.milestones.factories import MilestoneFactory

pytestmark = pytest.mark.django_db
LONDON = zoneinfo.ZoneInfo("Europe/London")


def at(day: datetime.date, hour: int = 6):
    return datetime.datetime(day.year, day.month, day.day, hour, 0, tzinfo=LONDON)


@pytest.fixture
def milestone(project, coordinator, partner_member, partner_org):
    return MilestoneFactory(
        project=project,
        title="First patient in",
        due_date=datetime.date(2026, 12, 10),
        owner=partner_member,
        owner_organisation=partner_org,
    )


def notices(event_type):
    return Notification.objects.filter(event_type=event_type)


def test_a_milestone_due_in_seven_days_triggers_one_reminder_however_often_the_sweep_runs(
    milestone, coordinator, partner_member
):
    with time_machine.travel(at(datetime.date(2026, 12, 2)), tick=False):
        assert milestone_daily_sweep()["reminders"] == 0  # 8 days ahead: not yet
    for hour in (6, 7, 18):
        with time_machine.travel(at(datetime.date(2026, 12, 3), hour), tick=False):
            milestone_daily_sweep()
    with time_machine.travel(at(datetime.date(2026, 12, 4)), tick=False):
        milestone_daily_sweep()
    reminders = notices(EventType.MILESTONE_DUE)
    assert {n.recipient_id for n in reminders} == {coordinator.pk, partner_member.pk}
    assert reminders.count() == 2  # one each
    assert "due in 7 days" in reminders.first().subject


def test_passing_the_due_date_marks_it_overdue_once_and_notifies_once(milestone, coordinator):
    for day in (10, 11, 11, 12, 20):
        with time_machine.travel(at(datetime.date(2026, 12, day)), tick=False):
            milestone_daily_sweep()
    overdue = notices(EventType.MILESTONE_OVERDUE)
    assert overdue.count() == 2  # owner and coordinator, once each
    milestone.refresh_from_db()
    assert milestone.overdue_notified_for == milestone.due_date


def test_sweep_uses_the_london_calendar_not_utc(milestone):
    # 23:30 UTC on 2 Dec is still 2 Dec in London in winter, but 00:30 on 3 Jun is 3 Jun in
    # London while UTC says 2 Jun: check the summer case with a June milestone.
    milestone.due_date = datetime.date(2027, 6, 10)
    milestone.save()
    utc_evening = datetime.datetime(2027, 6, 2, 23, 30, tzinfo=datetime.UTC)
    with time_machine.travel(utc_evening, tick=False):
        assert sweep_today() == datetime.date(2027, 6, 3)
        assert milestone_daily_sweep()["reminders"] == 1


def test_achieved_milestones_are_never_flagged(milestone):
    milestone.status = MilestoneStatus.ACHIEVED
    milestone.save()
    with time_machine.travel(at(datetime.date(2026, 12, 20)), tick=False):
        assert milestone_daily_sweep() == {"reminders": 0, "overdue": 0}


def test_deferral_rearms_the_reminder_and_overdue_notice_for_the_new_date(milestone, coordinator):
    with time_machine.travel(at(datetime.date(2026, 12, 11)), tick=False):
        milestone_daily_sweep()
        milestone_defer(
            milestone=milestone,
            actor=coordinator,
            new_due_date=datetime.date(2027, 1, 20),
            note="Ethics amendment pending",
        )
    with time_machine.travel(at(datetime.date(2027, 1, 13)), tick=False):
        milestone_daily_sweep()
        milestone_daily_sweep()
    with time_machine.travel(at(datetime.date(2027, 1, 21)), tick=False):
        milestone_daily_sweep()
    assert notices(EventType.MILESTONE_OVERDUE).count() == 4  # two people × two due dates
    assert notices(EventType.MILESTONE_DUE).count() == 2  # only the new date was 7 days ahead


def test_milestone_notices_never_reach_people_outside_the_consortium(
    milestone, outsider, coordinator
):
    milestone.owner = outsider  # a stale owner who left: the policy must still filter
    milestone.save()
    with time_machine.travel(at(datetime.date(2026, 12, 3)), tick=False):
        milestone_daily_sweep()
    assert not Notification.objects.filter(recipient=outsider).exists()
    assert Notification.objects.filter(recipient=coordinator).exists()
