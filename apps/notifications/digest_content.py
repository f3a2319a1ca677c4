"""What a daily digest says, decided by the policy twice: when the digest is gathered and
again when it is sent (ACCESS.md, "Who learns that something exists").

Between the two, access can end — the recipient's organisation suspended, a grant expired, a
membership ended. At sending, each gathered notification is asked again; the e-mail is
re-rendered without those its recipient may no longer see, and cancelled when none is left, so
neither a title nor the count in the subject includes a withdrawn item.
"""

import datetime

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from apps.notifications.audience import notifications_still_visible
from apps.notifications.links import absolute, email_subject, unsubscribe_url
from apps.notifications.models import EventType, Notification, OutboxEmail
from apps.notifications.tokens import DIGEST

KEY_PREFIX = "digest:"


def digest_key(user, day: datetime.date) -> str:
    return f"{KEY_PREFIX}{user.pk}:{day.isoformat()}"


def is_digest(row: OutboxEmail) -> bool:
    return row.notification_id is None and row.delivery_key.startswith(KEY_PREFIX)


def _day_of(row: OutboxEmail) -> datetime.date:
    try:
        return datetime.date.fromisoformat(row.delivery_key.rsplit(":", 1)[-1])
    except ValueError:
        return timezone.localdate(row.created_at)


def digest_render(user, notifications: list[Notification], day: datetime.date):
    """(subject, text, html) of `user`'s digest of `notifications` for `day`."""
    context = {
        "recipient": user,
        "day": day,
        "items": [
            {
                "notification": n,
                "event_label": EventType(n.event_type).label,
                "url": absolute(n.url),
            }
            for n in notifications
        ],
        "unsubscribe_url": unsubscribe_url(user_id=user.pk, scope=DIGEST),
        "preferences_url": absolute(reverse("notifications:preferences")),
        "inbox_url": absolute(reverse("notifications:inbox")),
    }
    count = len(notifications)
    subject = email_subject(f"Your daily digest: {count} notification{'s' if count != 1 else ''}")
    text = render_to_string("emails/digest.txt", context)
    html = render_to_string("emails/digest.html", context)
    return subject, text, html


def digest_recheck(rows: list[OutboxEmail]) -> tuple[list, list]:
    """Ask the policy again about every notification of the digest `rows` (claimed outbox
    rows, about to be sent): (rows to send, rows to cancel). A row that lost some items is
    re-rendered, in memory and in its outbox row, before it is sent; one that lost all of them
    (or never had any recorded) is cancelled. One query for the rows' notifications, then one
    policy statement per distinct target."""
    if not rows:
        return [], []
    gathered = (
        Notification.objects.filter(digest_email_id__in=[row.pk for row in rows])
        .select_related("recipient")
        .order_by("created_at", "pk")
    )
    shown: dict = {row.pk: [] for row in rows}
    totals: dict = dict.fromkeys(shown, 0)
    gathered = list(gathered)
    for notification in gathered:
        totals[notification.digest_email_id] += 1
    for notification in notifications_still_visible(gathered):
        shown[notification.digest_email_id].append(notification)
    send, cancel = [], []
    for row in rows:
        items = shown[row.pk]
        if not items:
            cancel.append(row)
            continue
        if len(items) < totals[row.pk]:
            _rerender(row, items)
        send.append(row)
    return send, cancel


def _rerender(row: OutboxEmail, notifications: list[Notification]) -> None:
    subject, text, html = digest_render(notifications[0].recipient, notifications, _day_of(row))
    row.subject, row.body_text, row.body_html = subject, text, html
    OutboxEmail.objects.filter(pk=row.pk).update(subject=subject, body_text=text, body_html=html)
