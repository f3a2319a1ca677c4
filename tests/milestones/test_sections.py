"""The project-page sections (order 90 and 100) and the home-page sections."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from apps.milestones import dashboard
from apps.milestones import project_sections as sections
from apps.milestones.models import Deliverable
from apps.notifications import dashboard as inbox_dashboard
from tests.milestones.factories import DeliverableFactory, MilestoneFactory
from tests.notifications.factories import NotificationFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def test_milestone_section_shows_the_timeline_to_the_consortium_only(
    project, partner_member, outsider, rf
):
    MilestoneFactory(project=project, due_date=TODAY - datetime.timedelta(days=1), title="Late one")
    context = sections.milestones(project=project, user=partner_member, request=rf.get("/"))
    assert context["timeline"].late_count == 1
    assert sections.milestones(project=project, user=outsider, request=rf.get("/")) is None
    assert sections.milestones(project=project, user=AnonymousUser(), request=rf.get("/")) is None


def test_deliverable_section_shows_visitors_only_approved_public_ones(project, rf):
    DeliverableFactory(project=project, title="Secret plan")
    public = DeliverableFactory(
        project=project,
        dissemination=Deliverable.Dissemination.PUBLIC,
        status=Deliverable.Status.APPROVED,
    )
    context = sections.deliverables(project=project, user=AnonymousUser(), request=rf.get("/"))
    assert list(context["deliverables"]) == [public]


def test_sections_render_on_the_project_page(client, partner_member, project):
    MilestoneFactory(project=project, title="Visible on the project page", due_date=TODAY)
    client.force_login(partner_member)
    html = client.get(f"/projects/{project.slug}/").content.decode()
    assert "Visible on the project page" in html and 'id="project-timeline"' in html


def test_home_section_lists_what_is_due_in_my_projects(project, coordinator, outsider):
    MilestoneFactory(
        project=project, title="Due next week", due_date=TODAY + datetime.timedelta(days=7)
    )
    section = dashboard.due_in_my_projects(coordinator)
    assert [item.label for item in section.items] == ["Milestone: Due next week"]
    assert dashboard.due_in_my_projects(outsider).items == []


def test_home_section_lists_unread_notifications(partner_member):
    NotificationFactory(recipient=partner_member, subject="Fresh news")
    assert [i.label for i in inbox_dashboard.unread_notifications(partner_member).items] == [
        "Fresh news"
    ]


def test_home_page_renders_both_sections(
    client, coordinator, project, django_assert_max_num_queries
):
    MilestoneFactory(project=project, title="Due soon on the home page", due_date=TODAY)
    client.force_login(coordinator)
    html = client.get("/").content.decode()
    assert "Due soon on the home page" in html and "Unread notifications" in html
