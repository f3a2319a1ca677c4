"""The daily milestone sweep: a reminder 7 days before the due date, and an overdue notice.

Each notice is claimed with a conditional UPDATE of the milestone's bookkeeping field
(`reminder_sent_for` / `overdue_notified_for` = the due date it was sent for) in the same
transaction as the notifications, so any number of sweeps, even concurrent ones, send each
notice once per due date. A deferral moves the due date and so re-arms both.
"""

import datetime
import logging
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import formats, timezone

from apps.milestones.models import Milestone
from apps.milestones.services import OPEN_STATUSES
from apps.notifications.models import EventType
from apps.notifications.services import notification_emit
from apps.projects.models import Membership, MembershipRole, ProjectStatus

logger = logging.getLogger(__name__)

REMINDER_DAYS = 7


def sweep_today() -> datetime.date:
    """Today on the portal's calendar (Europe/London), whatever the worker's own zone."""
    return timezone.localdate(timezone=ZoneInfo(settings.TIME_ZONE))


def milestone_audience(milestone: Milestone) -> list:
    """Who hears about a milestone: its owner and the project's coordinators."""
    coordinators = [
        m.user
        for m in Membership.objects.current()
        .filter(project_id=milestone.project_id, role=MembershipRole.COORDINATOR)
        .select_related("user")
    ]
    return [milestone.owner, *coordinators] if milestone.owner_id else coordinators


def _open_milestones():
    return Milestone.objects.filter(
        status__in=OPEN_STATUSES, project__status=ProjectStatus.ACTIVE
    ).select_related("project", "owner")


def _claim(milestone: Milestone, field: str) -> bool:
    """Stamp `field` with the current due date unless it already holds it; True if we did."""
    return (
        Milestone.objects.filter(pk=milestone.pk, due_date=milestone.due_date)
        .exclude(**{field: F("due_date")})
        .update(**{field: milestone.due_date})
        == 1
    )


def _when(date: datetime.date) -> str:
    return formats.date_format(date, "j M Y")


def _url(milestone: Milestone) -> str:
    return reverse("milestones:detail", args=[milestone.pk])


@transaction.atomic
def _remind(milestone: Milestone, today: datetime.date) -> bool:
    if not _claim(milestone, "reminder_sent_for"):
        return False
    days = (milestone.due_date - today).days
    in_days = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
    notification_emit(
        event_type=EventType.MILESTONE_DUE,
        recipients=milestone_audience(milestone),
        subject=f"{milestone.project.acronym}: “{milestone.title}” is due {in_days}",
        body=f"Due on {_when(milestone.due_date)}. Update its status in Stratum when it is achieved.",
        url=_url(milestone),
        target=milestone,
        project=milestone.project,
    )
    return True


@transaction.atomic
def _flag_overdue(milestone: Milestone, today: datetime.date) -> bool:
    if not _claim(milestone, "overdue_notified_for"):
        return False
    days = (today - milestone.due_date).days
    notification_emit(
        event_type=EventType.MILESTONE_OVERDUE,
        recipients=milestone_audience(milestone),
        subject=f"{milestone.project.acronym}: “{milestone.title}” is overdue",
        body=(
            f"It was due on {_when(milestone.due_date)} ({days} day{'s' if days != 1 else ''} ago). "
            "Mark it achieved or missed, or defer it to a new date."
        ),
        url=_url(milestone),
        target=milestone,
        project=milestone.project,
    )
    return True


def milestone_send_reminders(*, today: datetime.date | None = None) -> int:
    """Remind about open milestones due within REMINDER_DAYS (once per due date)."""
    today = today or sweep_today()
    horizon = today + datetime.timedelta(days=REMINDER_DAYS)
    due = _open_milestones().filter(due_date__gte=today, due_date__lte=horizon)
    due = due.exclude(reminder_sent_for=F("due_date"))
    return sum(_remind(m, today) for m in due)


def milestone_flag_overdue(*, today: datetime.date | None = None) -> int:
    """Notify once about each open milestone whose due date has passed."""
    today = today or sweep_today()
    late = _open_milestones().filter(due_date__lt=today).exclude(overdue_notified_for=F("due_date"))
    return sum(_flag_overdue(m, today) for m in late)


def milestone_daily_sweep(*, today: datetime.date | None = None) -> dict[str, int]:
    today = today or sweep_today()
    result = {
        "reminders": milestone_send_reminders(today=today),
        "overdue": milestone_flag_overdue(today=today),
    }
    logger.info("Milestone sweep for %s: %s", today, result)
    return result
