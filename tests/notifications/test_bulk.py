"""The fan-out's bulk insert (COPY on PostgreSQL) stores exactly what the ORM would."""

import pytest

from apps.notifications.bulk import insert_rows
from apps.notifications.models import EventType, Notification, OutboxEmail

pytestmark = pytest.mark.django_db


def test_inserted_rows_read_back_field_for_field(partner_member, project):
    rows = [
        Notification(
            recipient=partner_member,
            event_type=EventType.INVITATION,
            subject=f"Subject {i} – ünïcode, tab\there, back\\slash",
            body="Line one\nLine two" if i % 2 else "",
            url="/projects/",
            target_type="projects.project",
            target_id=str(project.pk),
            project=project if i % 2 else None,
        )
        for i in range(5)
    ]
    insert_rows(Notification, rows)
    stored = {n.pk: n for n in Notification.objects.all()}
    assert set(stored) == {row.pk for row in rows}
    for row in rows:
        saved = stored[row.pk]
        for field in Notification._meta.concrete_fields:
            assert getattr(saved, field.attname) == getattr(row, field.attname), field.name
        assert saved.created_at is not None and saved.updated_at is not None
        assert row._state.adding is False


def test_outbox_rows_take_their_defaults(partner_member):
    email = OutboxEmail(
        delivery_key="bulk:1",
        recipient=partner_member,
        to_address="a@b.test",
        subject="S",
        body_text="B",
    )
    insert_rows(OutboxEmail, [email])
    saved = OutboxEmail.objects.get()
    assert (saved.status, saved.attempts, saved.claim_token, saved.body_html) == (
        OutboxEmail.Status.PENDING,
        0,
        None,
        "",
    )
