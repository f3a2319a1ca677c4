"""Notification events and the person's own notification settings (writes).

Every caller uses `notification_emit` inside the transaction of the change it reports: the
in-app rows and the e-mail outbox rows commit or roll back with that change, and the e-mails
are only queued once it has committed.
"""

from collections.abc import Callable, Iterable

from django.db import models, transaction
from django.utils import timezone

from apps.access.policy.notifications import NOTIFICATION_TARGETS
from apps.notifications.audience import who_may_see
from apps.notifications.bulk import insert_rows
from apps.notifications.links import email_subject
from apps.notifications.models import (
    Delivery,
    EventType,
    Notification,
    NotificationPreference,
    OutboxEmail,
)
from apps.notifications.outbox import outbox_enqueue_on_commit
from apps.notifications.preferences import deliveries_for, preferences_of
from apps.notifications.tokens import DIGEST, Unsubscribe

Subject = str | Callable[[object], str]


def _distinct(recipients: Iterable) -> list:
    seen, people = set(), []
    for user in recipients:
        if user is not None and user.pk not in seen:
            seen.add(user.pk)
            people.append(user)
    return people


def _outbox_rows(notifications: list[Notification], people: dict, event_type: str) -> list:
    deliveries = deliveries_for(list(people), event_type)
    return [
        OutboxEmail(
            delivery_key=f"notification:{n.pk}:email",
            recipient_id=n.recipient_id,
            notification=n,
            to_address=people[n.recipient_id].email,
            subject=email_subject(n.subject),
            body_text=n.body or n.subject,
        )
        for n in notifications
        if deliveries[n.recipient_id] == Delivery.IMMEDIATE and people[n.recipient_id].email
    ]


def _project_of(target):
    from apps.projects.models import Project

    if isinstance(target, Project):
        return target
    if target is not None and getattr(target, "project_id", None):
        return target.project
    return None


@transaction.atomic
def notification_emit(
    *,
    event_type: str,
    recipients: Iterable,
    subject: Subject,
    body: str = "",
    url: str = "",
    target: models.Model | None = None,
    project=None,
) -> list[Notification]:
    """Write one in-app notification per distinct recipient who may view `target` (asked of
    the access policy; with no target, everyone listed), and an outbox e-mail for those who
    want this event type at once. Digest and in-app-only recipients get no e-mail now.

    `subject` may be a function of the recipient, for the rare event whose wording differs
    per person. Side effect: after commit, the e-mails are queued in batches (`outbox_enqueue`).
    """
    if target is not None and target._meta.label_lower not in NOTIFICATION_TARGETS:
        # The notification's view rule asks each target kind's own rule (policy/notifications.py):
        # an unregistered kind would be hidden from its recipients, so refuse it loudly here.
        raise ValueError(f"{target._meta.label} is not a registered notification target.")
    audience = who_may_see(_distinct(recipients), target)
    if project is None:
        project = _project_of(target)
    rows = [
        Notification(
            recipient=user,
            event_type=event_type,
            subject=(subject(user) if callable(subject) else subject)[:300],
            body=body,
            url=url,
            target_type=target._meta.label_lower if target is not None else "",
            target_id=str(target.pk) if target is not None else "",
            project=project,
        )
        for user in audience
    ]
    # The change feed records the rows (each for its recipient) by database trigger.
    insert_rows(Notification, rows)
    emails = _outbox_rows(rows, {user.pk: user for user in audience}, event_type)
    insert_rows(OutboxEmail, emails)
    outbox_enqueue_on_commit([email.pk for email in emails])
    return rows


# --- Inbox ---------------------------------------------------------------------------------------
def notification_mark_read(*, notification: Notification) -> Notification:
    """Mark one of the user's notifications read (the caller fetched it through the policy)."""
    if notification.read_at is None:
        notification.read_at = notification.updated_at = timezone.now()
        # updated_at too: `?updated_since` must list it (a queryset update skips auto_now);
        # the change feed records it by database trigger, from the page and the API alike.
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at, updated_at=notification.updated_at
        )
    return notification


def notification_mark_all_read(*, user) -> int:
    now = timezone.now()
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=now, updated_at=now
    )


# --- Preferences ---------------------------------------------------------------------------------
@transaction.atomic
def notification_preferences_set(*, user, deliveries: dict[str, str]) -> None:
    """Store the person's choice per event type; unknown types or deliveries are refused."""
    for event_type, delivery in deliveries.items():
        if event_type not in EventType.values or delivery not in Delivery.values:
            raise ValueError(f"Unknown preference {event_type}={delivery}")
        preference, _ = NotificationPreference.objects.get_or_create(
            user=user, event_type=event_type, defaults={"delivery": delivery}
        )
        if preference.delivery != delivery:
            preference.delivery = delivery
            preference.full_clean()
            preference.save(update_fields=["delivery", "updated_at"])


def unsubscribe_event_types(*, user, scope: str) -> list[str]:
    """The event types an unsubscribe link stops e-mailing about."""
    if scope == DIGEST:
        return [e for e, d in preferences_of(user).items() if d == Delivery.DIGEST]
    if scope in EventType.values:
        return [scope]
    return []


@transaction.atomic
def notification_unsubscribe(*, unsubscribe: Unsubscribe) -> tuple[object, list[str]]:
    """Apply a verified unsubscribe link: those event types become in-app only. Returns the
    person and the event types changed. Raises LookupError when the person no longer exists."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=unsubscribe.user_id).first()
    if user is None:
        raise LookupError("No such person")
    event_types = unsubscribe_event_types(user=user, scope=unsubscribe.scope)
    notification_preferences_set(user=user, deliveries=dict.fromkeys(event_types, Delivery.IN_APP))
    return user, event_types
