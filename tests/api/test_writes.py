"""Writes through the domain services: milestones, datasets, access requests."""

import pytest

from apps.milestones.models import Milestone, MilestoneStatus
from tests.api.conftest import client_for
from tests.datasets.factories import DatasetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def milestone(project):
    return Milestone.objects.create(
        project=project, title="First patient in", due_date="2027-03-01"
    )


def test_a_coordinator_moves_a_milestone_on(coordinator, milestone):
    response = client_for(coordinator).post(
        f"/api/v1/milestones/{milestone.pk}/status/", {"to_status": "in_progress"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == MilestoneStatus.IN_PROGRESS
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.IN_PROGRESS


def test_a_missed_milestone_without_a_note_is_a_400_and_unchanged(coordinator, milestone):
    client = client_for(coordinator)
    client.post(
        f"/api/v1/milestones/{milestone.pk}/status/", {"to_status": "in_progress"}, format="json"
    )
    response = client.post(
        f"/api/v1/milestones/{milestone.pk}/status/", {"to_status": "missed"}, format="json"
    )
    assert response.status_code == 400
    assert "note" in response.json()["errors"]
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.IN_PROGRESS


def test_an_outsider_gets_404_for_a_members_only_milestone(outsider, milestone, project):
    project.summary_visibility = "members"
    project.save()
    response = client_for(outsider).post(
        f"/api/v1/milestones/{milestone.pk}/defer/",
        {"new_due_date": "2027-06-01", "note": "x"},
        format="json",
    )
    assert response.status_code in (403, 404)
    milestone.refresh_from_db()
    assert milestone.status == MilestoneStatus.PLANNED


def test_a_contributor_creates_and_publishes_a_dataset(partner_member, project, partner_org):
    client = client_for(partner_member)
    created = client.post(
        "/api/v1/datasets/",
        {
            "project": str(project.pk),
            "steward_organisation": str(partner_org.pk),
            "title": "Spirometry",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "draft" and body["title"] == "Spirometry"
    published = client.post(
        f"/api/v1/datasets/{body['id']}/publish/", HTTP_IF_MATCH=created["ETag"]
    )
    assert published.status_code == 200, published.content
    assert published.json()["status"] == "published"


def test_an_outsider_cannot_create_a_dataset_in_someone_elses_project(outsider, project, other_org):
    response = client_for(outsider).post(
        "/api/v1/datasets/",
        {"project": str(project.pk), "steward_organisation": str(other_org.pk), "title": "Mine"},
        format="json",
    )
    assert response.status_code == 400
    assert "project" in response.json()["errors"]


def test_a_notification_is_marked_read(partner_member):
    from apps.notifications.models import Notification

    note = Notification.objects.create(
        recipient=partner_member, event_type="invitation", subject="Hi"
    )
    client = client_for(partner_member)
    response = client.post(f"/api/v1/notifications/{note.pk}/read/")
    assert response.status_code == 200
    assert response.json()["is_read"] is True


def test_someone_elses_notification_is_a_404(partner_member, outsider):
    from apps.notifications.models import Notification

    note = Notification.objects.create(
        recipient=partner_member, event_type="invitation", subject="Hi"
    )
    assert client_for(outsider).post(f"/api/v1/notifications/{note.pk}/read/").status_code == 404


def test_a_requester_files_and_withdraws_a_draft_request(
    partner_member, partner_org, project, lead_org
):
    dataset = DatasetFactory(
        project=project, steward_organisation=lead_org, access_tier="controlled"
    )
    client = client_for(partner_member)
    created = client.post(
        "/api/v1/access-requests/",
        {
            "dataset": str(dataset.pk),
            "organisation": str(partner_org.pk),
            "purpose": "Validate a signature.",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["declared_use"]["purpose"] == "Validate a signature."
    withdrawn = client.post(
        f"/api/v1/access-requests/{created.json()['id']}/withdraw/", {}, format="json"
    )
    assert withdrawn.status_code == 200, withdrawn.content
    assert withdrawn.json()["status"] == "withdrawn"
