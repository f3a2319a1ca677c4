"""Acceptance 4: the daily digest, "in-app only" sending nothing, and one-click unsubscribe."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from apps.notifications import outbox
from apps.notifications.digest import digest_send_all
from apps.notifications.models import Delivery, EventType, NotificationPreference, OutboxEmail
from apps.notifications.preferences import preferences_of
from apps.notifications.services import notification_emit
from apps.notifications.tokens import unsubscribe_token

pytestmark = pytest.mark.django_db


def emit(event_type, people, project, subject):
    notification_emit(
        event_type=event_type, recipients=people, subject=subject, url="/x/", target=project
    )


def deliver_all():
    for pk in OutboxEmail.objects.filter(status="pending").values_list("pk", flat=True):
        outbox.outbox_deliver(outbox_id=pk)


def test_digest_gathers_the_days_notifications_into_one_email_per_person(
    project, coordinator, partner_member, queued
):
    emit(EventType.PROTOCOL_VERSION, [coordinator, partner_member], project, "Protocol v2 approved")
    emit(EventType.DATASET_PUBLISHED, [coordinator, partner_member], project, "Dataset published")
    emit(EventType.MEMBERSHIP_CHANGED, [partner_member], project, "You joined WP3")
    assert OutboxEmail.objects.count() == 0  # all three are digest events by default

    assert digest_send_all() == 2
    deliver_all()
    by_person = {m.to[0]: m for m in mail.outbox}
    assert set(by_person) == {coordinator.email, partner_member.email}
    assert "3 notifications" in by_person[partner_member.email].subject
    assert "You joined WP3" in by_person[partner_member.email].body
    assert "2 notifications" in by_person[coordinator.email].subject


def test_digest_runs_twice_a_day_without_a_second_email(project, partner_member, queued):
    emit(EventType.PROTOCOL_VERSION, [partner_member], project, "v2")
    assert digest_send_all() == 1
    assert digest_send_all() == 0
    emit(EventType.PROTOCOL_VERSION, [partner_member], project, "v3")
    assert digest_send_all() == 0  # today's digest went; v3 waits for tomorrow
    assert OutboxEmail.objects.count() == 1


def test_read_notifications_are_left_out_of_the_digest(project, partner_member, queued):
    emit(EventType.PROTOCOL_VERSION, [partner_member], project, "v2")
    partner_member.notifications.update(read_at="2026-11-26T08:00:00Z")
    assert digest_send_all() == 0


def test_in_app_only_sends_no_email_at_all(project, partner_member, queued):
    for event in (EventType.PROTOCOL_VERSION, EventType.REQUEST_DECIDED):
        NotificationPreference.objects.create(
            user=partner_member, event_type=event, delivery=Delivery.IN_APP
        )
    emit(EventType.PROTOCOL_VERSION, [partner_member], project, "v2")
    emit(EventType.REQUEST_DECIDED, [partner_member], project, "Approved")
    assert digest_send_all() == 0
    deliver_all()
    assert mail.outbox == []
    assert partner_member.notifications.count() == 2  # still in the inbox


def test_immediate_events_are_not_repeated_in_the_digest(project, partner_member, queued):
    emit(EventType.REQUEST_DECIDED, [partner_member], project, "Approved")
    assert digest_send_all() == 0


# --- Unsubscribe -------------------------------------------------------------------------------
def _link_from(message) -> str:
    return re.search(r"http://[^\s]+/notifications/unsubscribe/[^\s]+/", message.body).group(0)


def test_unsubscribe_link_in_the_email_works_without_signing_in(
    client, project, partner_member, queued
):
    emit(EventType.REQUEST_DECIDED, [partner_member], project, "Approved")
    deliver_all()
    path = _link_from(mail.outbox[0]).split("8000", 1)[1]
    page = client.get(path)
    assert page.status_code == 200 and "Stop e-mails" in page.content.decode()
    assert (
        preferences_of(partner_member)[EventType.REQUEST_DECIDED] == Delivery.IMMEDIATE
    )  # GET changes nothing
    done = client.post(path)
    assert done.status_code == 200 and "unsubscribed" in done.content.decode()
    assert preferences_of(partner_member)[EventType.REQUEST_DECIDED] == Delivery.IN_APP


def test_one_click_post_from_a_mail_client_needs_no_csrf_token(partner_member):
    from django.test import Client

    token = unsubscribe_token(user_id=partner_member.pk, scope=EventType.GRANT_EXPIRING)
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("notifications:unsubscribe", args=[token]), {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    assert preferences_of(partner_member)[EventType.GRANT_EXPIRING] == Delivery.IN_APP


def test_digest_unsubscribe_turns_every_digest_event_to_in_app(client, partner_member):
    token = unsubscribe_token(user_id=partner_member.pk, scope="digest")
    client.post(reverse("notifications:unsubscribe", args=[token]))
    prefs = preferences_of(partner_member)
    assert prefs[EventType.PROTOCOL_VERSION] == Delivery.IN_APP
    assert prefs[EventType.REQUEST_DECIDED] == Delivery.IMMEDIATE  # untouched


@pytest.mark.parametrize("method", ["get", "post"])
def test_tampered_unsubscribe_token_is_rejected_with_a_clear_message(
    client, partner_member, method
):
    token = unsubscribe_token(user_id=partner_member.pk, scope=EventType.REQUEST_DECIDED)
    forged = token.replace(
        token.split(":")[0],
        unsubscribe_token(user_id="00000000-0000-0000-0000-000000000000", scope="x").split(":")[0],
    )
    altered_tail = token[:-3] + ("abd" if token.endswith("abc") else "abc")
    for bad in (forged, altered_tail, "nonsense"):
        response = getattr(client, method)(reverse("notifications:unsubscribe", args=[bad]))
        assert response.status_code == 400
        assert "not valid" in response.content.decode()
    assert not NotificationPreference.objects.exists()
