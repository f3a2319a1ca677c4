"""The daily digest: one e-mail per person gathering the day's digest notifications.

A notification belongs in a digest when its recipient's preference for its event type (or the
default) is "daily digest", it is still unread, and no digest has taken it yet. Gathering marks
it (`digested_at`) in the same transaction that writes the digest's outbox row, whose delivery
key names the person and the day: running the task twice a day sends one digest.
"""

import datetime
import logging

from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from apps.notifications.models import Delivery, EventType, Notification, OutboxEmail
from apps.notifications.outbox import absolute, outbox_enqueue_on_commit, unsubscribe_url
from apps.notifications.preferences import effective_delivery_expression
from apps.notifications.services import email_subject
from apps.notifications.tokens import DIGEST

logger = logging.getLogger(__name__)


def digest_candidates(now=None):
    """Unread, undigested notifications whose recipient wants them in the digest."""
    now = now or timezone.now()
    return (
        Notification.objects.filter(
            digested_at__isnull=True, read_at__isnull=True, created_at__lte=now
        )
        .annotate(delivery=effective_delivery_expression())
        .filter(delivery=Delivery.DIGEST, recipient__is_active=True)
    )


def _render(user, notifications: list[Notification], day: datetime.date) -> tuple[str, str]:
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
    return (
        render_to_string("emails/digest.txt", context),
        render_to_string("emails/digest.html", context),
    )


@transaction.atomic
def digest_build_for(*, user, day: datetime.date, now=None) -> OutboxEmail | None:
    """Gather `user`'s digest notifications into one outbox e-mail for `day` (or None)."""
    now = now or timezone.now()
    notifications = list(
        digest_candidates(now)
        .filter(recipient=user)
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("created_at")
    )
    if not notifications:
        return None
    text, html = _render(user, notifications, day)
    count = len(notifications)
    email = OutboxEmail(
        delivery_key=f"digest:{user.pk}:{day.isoformat()}",
        recipient=user,
        to_address=user.email,
        subject=email_subject(
            f"Your daily digest: {count} notification{'s' if count != 1 else ''}"
        ),
        body_text=text,
        body_html=html,
    )
    try:
        with transaction.atomic():
            email.save()
    except IntegrityError:
        # Today's digest already went; these wait for tomorrow's rather than a second e-mail.
        return None
    Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(digested_at=now)
    outbox_enqueue_on_commit([email.pk])
    return email


def digest_send_all(*, day: datetime.date | None = None) -> int:
    """Build today's digests for everyone who has something waiting. Returns how many."""
    from django.contrib.auth import get_user_model

    now = timezone.now()
    day = day or timezone.localdate(now)
    user_ids = digest_candidates(now).order_by().values_list("recipient_id", flat=True).distinct()
    built = 0
    for user in get_user_model().objects.filter(pk__in=list(user_ids)):
        if digest_build_for(user=user, day=day, now=now) is not None:
            built += 1
    logger.info("Built %d digests for %s", built, day)
    return built
