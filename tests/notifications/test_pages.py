"""Inbox, mark read (htmx and plain POST), preferences page, header count."""

import pytest
from django.urls import reverse

from apps.notifications.models import Delivery, EventType, Notification, NotificationPreference
from tests.notifications.factories import NotificationFactory

pytestmark = pytest.mark.django_db
INBOX = reverse("notifications:inbox")


@pytest.fixture
def mine(partner_member):
    return NotificationFactory.create_batch(3, recipient=partner_member)


def test_inbox_lists_my_notifications_and_the_header_counts_unread(
    client, partner_member, mine, outsider
):
    NotificationFactory(recipient=outsider, subject="Someone else's news")
    client.force_login(partner_member)
    html = client.get(INBOX).content.decode()
    assert all(n.subject in html for n in mine)
    assert "Someone else" not in html
    assert 'nav-count">3<' in html


def test_inbox_needs_sign_in(client):
    response = client.get(INBOX)
    assert response.status_code == 302 and "login" in response["Location"]


def test_inbox_query_count_is_constant(client, partner_member, django_assert_max_num_queries):
    NotificationFactory.create_batch(40, recipient=partner_member)
    client.force_login(partner_member)
    # Session, user, the security app's session record, page count, the page, unread count,
    # and the session save in a savepoint: the same for 40 notifications as for 4.
    with django_assert_max_num_queries(9):
        client.get(INBOX)


def test_mark_read_with_htmx_returns_the_row_and_updates_the_counts(client, partner_member, mine):
    client.force_login(partner_member)
    response = client.post(
        reverse("notifications:mark_read", args=[mine[0].pk]), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="notification-{mine[0].pk}"' in html and "Read" in html
    assert 'id="nav-unread-count" hx-swap-oob="true"' in html and ">2<" in html
    mine[0].refresh_from_db()
    assert mine[0].read_at is not None


def test_mark_read_without_javascript_redirects_back(client, partner_member, mine):
    client.force_login(partner_member)
    response = client.post(reverse("notifications:mark_read", args=[mine[0].pk]))
    assert response.status_code == 302 and response["Location"] == INBOX


def test_someone_elses_notification_is_404(client, outsider, mine):
    client.force_login(outsider)
    assert client.post(reverse("notifications:mark_read", args=[mine[0].pk])).status_code == 404
    assert client.get(reverse("notifications:open", args=[mine[0].pk])).status_code == 404
    assert Notification.objects.filter(read_at__isnull=False).count() == 0


def test_mark_read_refuses_get(client, partner_member, mine):
    client.force_login(partner_member)
    assert client.get(reverse("notifications:mark_read", args=[mine[0].pk])).status_code == 405


def test_mark_all_read(client, partner_member, mine):
    client.force_login(partner_member)
    client.post(reverse("notifications:mark_all_read"))
    assert not partner_member.notifications.filter(read_at__isnull=True).exists()
    assert "nav-count" not in client.get(INBOX).content.decode()


def test_opening_a_notification_marks_it_read_and_follows_only_local_links(client, partner_member):
    local = NotificationFactory(recipient=partner_member, url="/projects/")
    foreign = NotificationFactory(recipient=partner_member, url="https://evil.example/")
    client.force_login(partner_member)
    assert client.get(reverse("notifications:open", args=[local.pk]))["Location"] == "/projects/"
    assert client.get(reverse("notifications:open", args=[foreign.pk]))["Location"] == INBOX
    assert not partner_member.notifications.filter(read_at__isnull=True).exists()


def test_preferences_page_shows_defaults_and_saves_choices(client, partner_member):
    client.force_login(partner_member)
    page = client.get(reverse("notifications:preferences")).content.decode()
    assert "Daily digest" in page and "Milestone overdue" in page
    data = {event: Delivery.DIGEST for event in EventType.values}
    data[EventType.REQUEST_DECIDED] = Delivery.IN_APP
    assert client.post(reverse("notifications:preferences"), data).status_code == 302
    assert (
        NotificationPreference.objects.get(
            user=partner_member, event_type=EventType.REQUEST_DECIDED
        ).delivery
        == Delivery.IN_APP
    )


def test_preferences_with_an_unknown_choice_are_refused(client, partner_member):
    client.force_login(partner_member)
    data = {event: "sometimes" for event in EventType.values}
    response = client.post(reverse("notifications:preferences"), data)
    assert response.status_code == 400
    assert not NotificationPreference.objects.exists()


def test_preferences_need_sign_in(client):
    assert client.get(reverse("notifications:preferences")).status_code == 302
