"""Times read one way everywhere: 24-hour, in the person's time zone, "5 Dec 2026, 23:04"."""

import datetime

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from apps.notifications.models import EventType, Notification
from apps.notifications.services import notification_emit

MOMENT = datetime.datetime(2026, 12, 5, 23, 4, tzinfo=datetime.UTC)


def test_the_house_formats_win_over_the_en_gb_locale_defaults():
    with timezone.override("Europe/London"):
        rendered = Template(
            '{{ d }}|{{ d|date }}|{{ d|time }}|{{ d|date:"DATETIME_FORMAT" }}|{{ d|date:"SHORT_DATETIME_FORMAT" }}'
        ).render(Context({"d": MOMENT}))
    assert rendered == "5 Dec 2026, 23:04|5 Dec 2026|23:04|5 Dec 2026, 23:04|5 Dec 2026, 23:04"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("zone", "shown"),
    [("", "5 Dec 2026, 23:04"), ("Asia/Tokyo", "6 Dec 2026, 08:04")],
)
def test_a_notification_time_is_shown_in_the_persons_zone_on_the_24_hour_clock(
    client, partner_member, project, zone, shown
):
    partner_member.time_zone = zone
    partner_member.save()
    notification_emit(
        event_type=EventType.REQUEST_DECIDED,
        recipients=[partner_member],
        subject="Your request was approved",
        body="",
        url="/access/",
        target=project,
    )
    Notification.objects.update(created_at=MOMENT)
    client.force_login(partner_member)
    html = client.get(reverse("notifications:inbox")).content.decode()
    assert shown in html
    assert "p.m." not in html and "a.m." not in html
