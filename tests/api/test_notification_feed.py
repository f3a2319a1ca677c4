"""Notifications reach syncing partners: those written in bulk by `notification_emit` are in the
change feed (for their recipient only), and so is the notice of a webhook endpoint disabled
after 24 hours of failures, which its organisation's admins receive."""

import datetime
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.api.models import WebhookDelivery, WebhookEndpoint
from apps.api.tasks import webhook_deliver
from apps.api.webhooks import webhooks_dispatch_all
from apps.notifications.digest import digest_build_for
from apps.notifications.models import EventType, Notification, OutboxEmail
from apps.notifications.services import notification_emit
from apps.organisations.models import AffiliationRole
from tests.accounts.factories import UserFactory
from tests.api.conftest import client_for
from tests.api.test_webhooks import Receiver, _register, eager_celery  # noqa: F401
from tests.datasets.factories import DatasetFactory
from tests.organisations.factories import AffiliationFactory

pytestmark = pytest.mark.django_db


def _head(client) -> str:
    return client.get("/api/v1/changes/?since=latest").json()["cursor"]


def _replay(client, cursor) -> dict:
    items, more = {}, True
    while more:
        body = client.get(f"/api/v1/changes/?since={cursor}&page_size=200").json()
        items.update({(item["resource"], item["id"]): item for item in body["results"]})
        cursor, more = body["cursor"], body["has_more"]
    return items


def test_a_partner_replaying_the_feed_receives_a_new_notification(partner_member, coordinator):
    mine, theirs = client_for(partner_member), client_for(coordinator)
    my_cursor, their_cursor = _head(mine), _head(theirs)
    [note] = notification_emit(
        event_type=EventType.INVITATION,
        recipients=[partner_member],
        subject="You are invited",
        url="/projects/invitations/",
    )
    items = _replay(mine, my_cursor)
    item = items[("notification", str(note.pk))]
    assert item["op"] == "upsert"
    assert (item["data"]["subject"], item["data"]["is_read"]) == ("You are invited", False)
    # Someone else's inbox: not even a tombstone reaches another caller.
    assert ("notification", str(note.pk)) not in _replay(theirs, their_cursor)


def test_marking_read_reaches_the_recipients_feed(partner_member):
    client = client_for(partner_member)
    [note] = notification_emit(
        event_type=EventType.INVITATION, recipients=[partner_member], subject="Hi"
    )
    cursor = _head(client)
    client.post(f"/api/v1/notifications/{note.pk}/read/")
    item = _replay(client, cursor)[("notification", str(note.pk))]
    assert item["data"]["is_read"] is True


def test_a_webhook_disabled_after_24_hours_notifies_its_organisations_admins(
    eager_celery,  # noqa: F811
    coordinator,
    lead_org,
    project,
):
    colleague = UserFactory(email="staff-member@pharmacorp.test")
    AffiliationFactory(user=colleague, organisation=lead_org, role=AffiliationRole.MEMBER)
    admin_client = client_for(coordinator)
    cursor = _head(admin_client)
    with Receiver(failures=100) as receiver:
        endpoint, _ = _register(lead_org, coordinator, receiver.url)
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            failing_since=timezone.now() - timedelta(hours=24, minutes=1)
        )
        DatasetFactory(project=project, steward_organisation=lead_org)
        webhooks_dispatch_all()
        delivery = WebhookDelivery.objects.filter(endpoint=endpoint).first()
        webhook_deliver.apply(args=[str(delivery.pk)])
    endpoint.refresh_from_db()
    assert not endpoint.is_active

    notice = Notification.objects.get(recipient=coordinator, subject__startswith="Webhook")
    assert receiver.url in notice.subject and notice.url == "/account/tokens/webhooks/"
    assert not Notification.objects.filter(recipient=colleague).exists()  # admins only
    # A type the notification settings know: e-mailed at once, and the digest still builds.
    assert notice.event_type == EventType.WEBHOOK_DISABLED
    assert OutboxEmail.objects.filter(notification=notice).exists()
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    digest_build_for(user=coordinator, day=timezone.localdate(), now=tomorrow)
    # And the admin's own sync sees it, in the notification schema.
    item = _replay(admin_client, cursor)[("notification", str(notice.pk))]
    assert item["op"] == "upsert" and item["data"]["event_type"] == notice.event_type
