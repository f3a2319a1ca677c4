import pytest
from django.urls import reverse

from apps.notifications.models import EventType, OutboxEmail
from apps.notifications.services import notification_emit

pytestmark = pytest.mark.django_db


def test_staff_see_the_outbox_and_requeue_failed_emails(
    client, staff, partner_member, project, queued
):
    notification_emit(
        event_type=EventType.REQUEST_DECIDED,
        recipients=[partner_member],
        subject="x",
        target=project,
    )
    row = OutboxEmail.objects.get()
    OutboxEmail.objects.filter(pk=row.pk).update(status="failed", attempts=6)
    client.force_login(staff)
    assert client.get(reverse("admin:notifications_outboxemail_changelist")).status_code == 200
    queued.clear()
    client.post(
        reverse("admin:notifications_outboxemail_changelist"),
        {"action": "queue_again", "_selected_action": [row.pk]},
    )
    row.refresh_from_db()
    assert row.status == "pending" and queued == [str(row.pk)]


def test_milestone_admin_lists_read_only(client, staff, project):
    from tests.milestones.factories import MilestoneFactory

    milestone = MilestoneFactory(project=project)
    client.force_login(staff)
    assert client.get(reverse("admin:milestones_milestone_changelist")).status_code == 200
    assert (
        client.get(reverse("admin:milestones_milestone_change", args=[milestone.pk])).status_code
        == 200
    )
