import datetime
import io

import pytest
from django.utils import timezone

from apps.milestones.models import Deliverable, Milestone, MilestoneStatus
from apps.seeding.demo import milestones as demo
from apps.seeding.demo import notifications as notifications_demo

pytestmark = pytest.mark.django_db


def test_demo_skips_missing_projects_gracefully():
    out = io.StringIO()
    demo.seed(out)
    assert "RESPIRA not found" in out.getvalue()
    notifications_demo.seed(out)
    assert "skipped" in out.getvalue()


def test_demo_seeds_achieved_overdue_and_due_this_week_once(project, coordinator, partner_member):
    project.acronym = "RESPIRA"
    project.save()
    demo.seed(io.StringIO())
    demo.seed(io.StringIO())  # idempotent
    today = timezone.localdate()
    milestones = Milestone.objects.filter(project=project)
    assert milestones.count() == len(demo.PLAN)
    assert milestones.filter(status=MilestoneStatus.ACHIEVED).count() >= 2
    overdue = milestones.filter(due_date__lt=today).exclude(status=MilestoneStatus.ACHIEVED)
    assert overdue.count() == 1
    assert (
        milestones.filter(
            due_date__gte=today, due_date__lte=today + datetime.timedelta(days=7)
        ).count()
        == 1
    )
    assert Deliverable.objects.filter(project=project, status=Deliverable.Status.SUBMITTED).exists()
