"""Milestone and deliverable pages for every persona, and bad input."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.milestones.models import Deliverable, Milestone, MilestoneStatus
from apps.projects.models import MembershipRole
from tests.accounts.factories import UserFactory
from tests.milestones.factories import DeliverableFactory, MilestoneFactory
from tests.organisations.factories import AffiliationFactory
from tests.projects.factories import MembershipFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def milestone(project, partner_member, partner_org):
    return MilestoneFactory(
        project=project,
        title="Biobank ready",
        due_date=TODAY - datetime.timedelta(days=3),
        owner=partner_member,
        owner_organisation=partner_org,
    )


@pytest.fixture
def viewer(project, partner_org):
    user = UserFactory(email="viewer@example.ac.uk")
    AffiliationFactory(user=user, organisation=partner_org)
    MembershipFactory(
        project=project, user=user, organisation=partner_org, role=MembershipRole.VIEWER
    )
    return user


def url(name, *args):
    return reverse(f"milestones:{name}", args=args)


# --- Project milestones page -------------------------------------------------------------------
def test_consortium_member_sees_timeline_with_late_milestone_flagged(
    client, partner_member, milestone
):
    client.force_login(partner_member)
    response = client.get(url("project", milestone.project.slug))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<svg" in html and 'data-late="true"' in html and "Late: 3 days" in html
    assert "Biobank ready" in html


def test_anonymous_and_outsider_get_404_for_milestones(client, outsider, milestone):
    assert client.get(url("project", milestone.project.slug)).status_code == 404
    assert client.get(url("detail", milestone.pk)).status_code == 404
    client.force_login(outsider)
    assert client.get(url("project", milestone.project.slug)).status_code == 404
    assert client.get(url("detail", milestone.pk)).status_code == 404
    assert client.get(url("export_csv", milestone.project.slug)).status_code == 404


def test_project_page_query_count_does_not_grow_with_milestones(
    client, coordinator, project, django_assert_max_num_queries
):
    MilestoneFactory.create_batch(30, project=project, due_date=TODAY)
    client.force_login(coordinator)
    with django_assert_max_num_queries(14):
        assert client.get(url("project", project.slug)).status_code == 200


# --- Creating and editing -----------------------------------------------------------------------
def test_coordinator_adds_a_milestone(client, coordinator, project, partner_org, partner_member):
    client.force_login(coordinator)
    assert client.get(url("create", project.slug)).status_code == 200
    response = client.post(
        url("create", project.slug),
        {
            "title": "Database lock",
            "due_date": "2027-05-01",
            "owner_organisation": partner_org.pk,
            "owner": partner_member.pk,
        },
    )
    assert response.status_code == 302
    assert Milestone.objects.get(title="Database lock").owner == partner_member


def test_contributor_may_not_add_milestones(client, partner_member, project):
    client.force_login(partner_member)
    assert client.get(url("create", project.slug)).status_code == 403


def test_invalid_milestone_form_is_a_400_with_errors(client, coordinator, project):
    client.force_login(coordinator)
    response = client.post(url("create", project.slug), {"title": "", "due_date": "not a date"})
    assert response.status_code == 400
    assert "error-summary" in response.content.decode()
    assert not Milestone.objects.exists()


# --- Status and deferral ------------------------------------------------------------------------
def test_owner_updates_status_with_a_note(client, partner_member, milestone):
    client.force_login(partner_member)
    response = client.post(
        url("status", milestone.pk), {"to_status": "achieved", "note": "All samples in"}
    )
    assert response.status_code == 302
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.ACHIEVED
    assert "All samples in" in client.get(url("detail", milestone.pk)).content.decode()


def test_read_only_member_cannot_update_status(client, viewer, milestone):
    client.force_login(viewer)
    assert client.get(url("detail", milestone.pk)).status_code == 200
    assert client.post(url("status", milestone.pk), {"to_status": "achieved"}).status_code == 403


def test_deferral_without_a_new_date_is_refused_and_changes_nothing(
    client, partner_member, milestone
):
    client.force_login(partner_member)
    response = client.post(url("defer", milestone.pk), {"note": "Late supplier"})
    assert response.status_code == 400
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.PLANNED


def test_deferral_to_an_earlier_date_shows_the_error(client, partner_member, milestone):
    client.force_login(partner_member)
    response = client.post(url("defer", milestone.pk), {"new_due_date": "2020-01-01", "note": "x"})
    assert response.status_code == 400
    assert "must be after" in response.content.decode()


def test_deferral_records_both_dates(client, partner_member, milestone):
    client.force_login(partner_member)
    new = TODAY + datetime.timedelta(days=40)
    assert (
        client.post(
            url("defer", milestone.pk), {"new_due_date": new.isoformat(), "note": "Ethics"}
        ).status_code
        == 302
    )
    page = client.get(url("detail", milestone.pk)).content.decode()
    assert "Deferred" in page and "Ethics" in page


# --- Exports -----------------------------------------------------------------------------------
def test_csv_export_lists_milestones_and_defuses_formulas(client, coordinator, project):
    MilestoneFactory(project=project, title='=HYPERLINK("http://evil")', due_date=TODAY)
    client.force_login(coordinator)
    response = client.get(url("export_csv", project.slug))
    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode()
    assert body.splitlines()[0].startswith("Title,Work package,Due date")
    assert "'=HYPERLINK" in body


def test_ics_export_is_a_calendar_with_one_event_per_milestone(
    client, coordinator, project, milestone
):
    client.force_login(coordinator)
    response = client.get(url("export_ics", project.slug))
    assert response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert body.count("BEGIN:VEVENT") == 1
    assert f"DTSTART;VALUE=DATE:{milestone.due_date:%Y%m%d}" in body


# --- Portfolio ---------------------------------------------------------------------------------
def test_portfolio_shows_what_is_due_in_the_next_30_days_across_my_projects(
    client, coordinator, project, milestone
):
    MilestoneFactory(project=project, title="Soon", due_date=TODAY + datetime.timedelta(days=20))
    MilestoneFactory(
        project=project, title="Far away", due_date=TODAY + datetime.timedelta(days=90)
    )
    client.force_login(coordinator)
    html = client.get(url("portfolio")).content.decode()
    assert "Soon" in html and "Biobank ready" in html and "Far away" not in html


def test_portfolio_needs_sign_in(client):
    assert client.get(url("portfolio")).status_code == 302


def test_outsider_portfolio_is_empty(client, outsider, milestone):
    client.force_login(outsider)
    assert "Biobank ready" not in client.get(url("portfolio")).content.decode()


# --- Deliverables ------------------------------------------------------------------------------
@pytest.fixture
def public_deliverable(project, partner_member):
    return DeliverableFactory(
        project=project,
        code="D1.1",
        title="Cohort description",
        summary="Who was recruited.",
        dissemination=Deliverable.Dissemination.PUBLIC,
        author=partner_member,
    )


def test_public_deliverable_appears_in_the_catalogue_only_once_approved(client, public_deliverable):
    assert "Cohort description" not in client.get(url("public_deliverables")).content.decode()
    assert client.get(url("deliverable", public_deliverable.pk)).status_code == 404
    public_deliverable.status = Deliverable.Status.APPROVED
    public_deliverable.save()
    assert "Who was recruited." in client.get(url("public_deliverables")).content.decode()
    assert client.get(url("deliverable", public_deliverable.pk)).status_code == 200


def test_restricted_deliverable_is_hidden_from_partner_colleagues(
    client, partner_org_colleague, partner_member, project
):
    restricted = DeliverableFactory(
        project=project, dissemination=Deliverable.Dissemination.RESTRICTED
    )
    client.force_login(partner_org_colleague)
    assert client.get(url("deliverable", restricted.pk)).status_code == 404
    client.force_login(partner_member)
    assert client.get(url("deliverable", restricted.pk)).status_code == 200


def test_author_cannot_approve_through_the_page(client, partner_member, public_deliverable):
    public_deliverable.status = Deliverable.Status.IN_REVIEW
    public_deliverable.save()
    client.force_login(partner_member)
    assert (
        client.post(url("deliverable_transition", public_deliverable.pk, "approve")).status_code
        == 403
    )


def test_coordinator_approves_through_the_page(client, coordinator, public_deliverable):
    public_deliverable.status = Deliverable.Status.IN_REVIEW
    public_deliverable.save()
    client.force_login(coordinator)
    assert (
        client.post(url("deliverable_transition", public_deliverable.pk, "approve")).status_code
        == 302
    )
    public_deliverable.refresh_from_db()
    assert public_deliverable.status == Deliverable.Status.APPROVED


def test_wrong_step_is_a_400_that_changes_nothing(client, coordinator, public_deliverable):
    client.force_login(coordinator)
    response = client.post(url("deliverable_transition", public_deliverable.pk, "submit"))
    assert response.status_code == 400
    public_deliverable.refresh_from_db()
    assert public_deliverable.status == Deliverable.Status.PLANNED


def test_deliverable_form_refuses_author_as_approver(client, coordinator, project, partner_member):
    client.force_login(coordinator)
    response = client.post(
        url("deliverable_create", project.slug),
        {
            "code": "D3.1",
            "title": "x",
            "due_month": 12,
            "dissemination": "consortium",
            "author": partner_member.pk,
            "approver": partner_member.pk,
        },
    )
    assert response.status_code == 400
    assert "cannot be the deliverable" in response.content.decode()


def test_coordinator_adds_a_deliverable(client, coordinator, project):
    client.force_login(coordinator)
    response = client.post(
        url("deliverable_create", project.slug),
        {
            "code": "D3.1",
            "title": "Health economics model",
            "due_month": 24,
            "dissemination": "public",
        },
    )
    assert response.status_code == 302
    assert Deliverable.objects.get(code="D3.1").project == project
