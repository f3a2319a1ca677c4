"""Demo inbox for demo@stratum.test: a few read and unread notifications about RESPIRA.

Written directly as in-app rows (no e-mail), once: a person who already has notifications is
left alone, so re-seeding never floods the inbox.
"""

import datetime

from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.milestones.models import Milestone
from apps.notifications.models import EventType, Notification
from apps.projects.models import Project


def _rows(user, project):
    milestone = Milestone.objects.filter(project=project).order_by("due_date").last()
    rows = [
        (
            EventType.MEMBERSHIP_CHANGED,
            f"You joined {project.acronym} as a contributor",
            "/projects/mine/",
            9,
            True,
        ),
        (
            EventType.PROTOCOL_VERSION,
            f"{project.acronym}: a new protocol version was approved",
            f"/projects/{project.slug}/",
            3,
            True,
        ),
        (
            EventType.DATASET_PUBLISHED,
            f"{project.acronym}: a dataset was published",
            f"/projects/{project.slug}/",
            1,
            False,
        ),
    ]
    if milestone is not None:
        rows.append(
            (
                EventType.MILESTONE_DUE,
                f"{project.acronym}: “{milestone.title}” is due soon",
                reverse("milestones:detail", args=[milestone.pk]),
                0,
                False,
            )
        )
    now = timezone.now()
    return [
        Notification(
            recipient=user,
            event_type=event,
            subject=subject,
            url=url,
            project=project,
            target_type="projects.project",
            target_id=str(project.pk),
            created_at=now - datetime.timedelta(days=days),
            read_at=now - datetime.timedelta(days=days) if read else None,
        )
        for event, subject, url, days, read in rows
    ]


def seed(stdout) -> None:
    user = User.objects.filter(email="demo@stratum.test").first()
    project = Project.objects.filter(acronym__iexact="RESPIRA").first()
    if user is None or project is None:
        stdout.write("  notifications: demo person or RESPIRA missing, skipped")
        return
    if Notification.objects.filter(recipient=user).exists():
        stdout.write("  notifications: demo inbox already seeded")
        return
    rows = Notification.objects.bulk_create(_rows(user, project))
    stdout.write(f"  notifications: {len(rows)} in demo@stratum.test's inbox")
