"""Reads: milestones and deliverables as the policy lets each person see them."""

import datetime

from django.db.models import Q

from apps.access.policy import visible
from apps.access.policy.milestones import public_deliverable_q
from apps.milestones.models import Deliverable, Milestone, MilestoneChange
from apps.milestones.timeline import OPEN

PORTFOLIO_DAYS = 30


def project_milestones(user, project):
    return (
        visible(user, Milestone.objects.filter(project=project))
        .select_related("project", "work_package", "owner_organisation", "owner")
        .order_by("due_date", "title")
    )


def first_due_dates(milestones) -> dict:
    """{milestone id: its original due date} for milestones deferred at least once."""
    changes = (
        MilestoneChange.objects.filter(milestone__in=milestones, old_due_date__isnull=False)
        .order_by("milestone_id", "created_at")
        .values_list("milestone_id", "old_due_date")
    )
    first = {}
    for milestone_id, old in changes:
        first.setdefault(milestone_id, old)
    return first


def project_deliverables(user, project):
    return (
        visible(user, Deliverable.objects.filter(project=project))
        .select_related("project", "work_package", "lead_organisation", "author", "approver")
        .order_by("code")
    )


def my_project_ids(user):
    from apps.access.policy.subjects import member_project_ids

    return member_project_ids(user)


def portfolio_milestones(user, *, today: datetime.date, days: int = PORTFOLIO_DAYS):
    """Open milestones of my projects due within `days`, plus every late one."""
    horizon = today + datetime.timedelta(days=days)
    return (
        visible(user, Milestone.objects.filter(project_id__in=my_project_ids(user)))
        .filter(status__in=OPEN, due_date__lte=horizon)
        .select_related("project", "owner_organisation", "owner")
        .order_by("due_date", "project__acronym", "title")
    )


def portfolio_deliverables(user, *, today: datetime.date, days: int = PORTFOLIO_DAYS):
    horizon = today + datetime.timedelta(days=days)
    unfinished = ~Q(status__in=[Deliverable.Status.APPROVED, Deliverable.Status.SUBMITTED])
    return (
        visible(user, Deliverable.objects.filter(project_id__in=my_project_ids(user)))
        .filter(unfinished, due_date__isnull=False, due_date__lte=horizon)
        .select_related("project", "lead_organisation")
        .order_by("due_date", "project__acronym", "code")
    )


def public_deliverables():
    """The public catalogue's deliverables: approved or submitted, public dissemination, in a
    live project whose summary is public. The projects catalogue may embed this."""
    return (
        Deliverable.objects.filter(public_deliverable_q())
        .select_related("project", "lead_organisation", "work_package")
        .order_by("project__acronym", "code")
    )


def milestone_history(milestone):
    return milestone.changes.select_related("actor").order_by("-created_at")


def can_see_project_milestones(user, project) -> bool:
    """Milestones are the consortium's internal plan: the consortium and staff see them."""
    from apps.access.policy.milestones import can_see_milestones

    return can_see_milestones(user, project)
