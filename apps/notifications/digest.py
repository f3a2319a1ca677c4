"""The daily digest: one e-mail per person gathering the day's digest notifications.

A notification belongs in a digest when its recipient's preference for its event type (or the
default) is "daily digest", it is still unread, no digest has taken it yet, and its recipient
may still see what it is about (asked again here, and once more when the e-mail is sent:
`digest_content`). Gathering marks
it (`digested_at`) in the same transaction that writes the digest's outbox row, whose delivery
key names the person and the day: running the task twice a day sends one digest.
"""

import datetime
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.notifications.audience import notifications_still_visible
from apps.notifications.digest_content import digest_key, digest_render
from apps.notifications.models import Delivery, Notification, OutboxEmail
from apps.notifications.outbox import outbox_enqueue_on_commit
from apps.notifications.preferences import effective_delivery_expression

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


@transaction.atomic
def digest_build_for(
    *, user, day: datetime.date, now=None, still_visible: set | None = None
) -> OutboxEmail | None:
    """Gather `user`'s digest notifications into one outbox e-mail for `day` (or None).

    `still_visible`: ids of notifications the policy was just asked about for a whole run
    (`digest_send_all`); without it, this person's are asked here."""
    now = now or timezone.now()
    candidates = (
        digest_candidates(now)
        .filter(recipient=user)
        .select_related("recipient")
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("created_at")
    )
    # Asked again now: access may have ended since the notification was written. What its
    # recipient may no longer see stays out of the digest (and waits, unread and hidden, in
    # case access returns); the e-mail is checked once more when it is sent.
    if still_visible is None:
        notifications = notifications_still_visible(candidates)
    else:
        notifications = [n for n in candidates if n.pk in still_visible]
    if not notifications:
        return None
    subject, text, html = digest_render(user, notifications, day)
    email = OutboxEmail(
        delivery_key=digest_key(user, day),
        recipient=user,
        to_address=user.email,
        subject=subject,
        body_text=text,
        body_html=html,
    )
    try:
        with transaction.atomic():
            email.save()
    except IntegrityError:
        # Today's digest already went; these wait for tomorrow's rather than a second e-mail.
        return None
    Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(
        digested_at=now, digest_email=email
    )
    outbox_enqueue_on_commit([email.pk])
    return email


def digest_send_all(*, day: datetime.date | None = None) -> int:
    """Build today's digests for everyone who has something waiting. Returns how many."""
    from django.contrib.auth import get_user_model

    now = timezone.now()
    day = day or timezone.localdate(now)
    # The policy is asked once per distinct target for everyone at once (a "dataset
    # published" notice to 10,000 people is one statement, not 10,000).
    waiting = list(digest_candidates(now).select_related("recipient").defer("body").order_by())
    still_visible = {n.pk for n in notifications_still_visible(waiting)}
    user_ids = {n.recipient_id for n in waiting}
    built = 0
    for user in get_user_model().objects.filter(pk__in=list(user_ids)):
        email = digest_build_for(user=user, day=day, now=now, still_visible=still_visible)
        if email is not None:
            built += 1
    logger.info("Built %d digests for %s", built, day)
    return built
