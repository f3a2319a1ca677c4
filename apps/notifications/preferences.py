"""How each person wants to hear about each event type (reads only; writes are in services).

Defaults: what needs the person to act, or takes something away from them, is e-mailed at
once; news about the consortium's work waits for the daily digest. A stored preference wins.
"""

from django.db.models import Case, CharField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce

from apps.notifications.models import Delivery, EventType, NotificationPreference

DEFAULT_DELIVERY: dict[str, str] = {
    EventType.ORGANISATION_PENDING: Delivery.IMMEDIATE,
    EventType.PROJECT_PENDING: Delivery.IMMEDIATE,
    EventType.INVITATION: Delivery.IMMEDIATE,
    EventType.MEMBERSHIP_CHANGED: Delivery.DIGEST,
    EventType.PROTOCOL_VERSION: Delivery.DIGEST,
    EventType.DATASET_PUBLISHED: Delivery.DIGEST,
    EventType.REQUEST_FILED: Delivery.IMMEDIATE,
    EventType.REQUEST_DECIDED: Delivery.IMMEDIATE,
    EventType.GRANT_EXPIRING: Delivery.IMMEDIATE,
    EventType.GRANT_EXPIRED: Delivery.IMMEDIATE,
    EventType.GRANT_REVOKED: Delivery.IMMEDIATE,
    EventType.MILESTONE_DUE: Delivery.DIGEST,
    EventType.MILESTONE_OVERDUE: Delivery.IMMEDIATE,
    EventType.WEBHOOK_DISABLED: Delivery.IMMEDIATE,
}


def default_delivery(event_type: str) -> str:
    return DEFAULT_DELIVERY.get(event_type, Delivery.DIGEST)


def deliveries_for(user_ids: list, event_type: str) -> dict:
    """{user id: delivery} for `event_type`, defaults filled in (one query)."""
    stored = dict(
        NotificationPreference.objects.filter(
            user_id__in=user_ids, event_type=event_type
        ).values_list("user_id", "delivery")
    )
    default = default_delivery(event_type)
    return {user_id: stored.get(user_id, default) for user_id in user_ids}


def preferences_of(user) -> dict[str, str]:
    """{event type: delivery} for every event type, for the preferences page."""
    stored = dict(
        NotificationPreference.objects.filter(user=user).values_list("event_type", "delivery")
    )
    return {event: stored.get(event, default_delivery(event)) for event in EventType.values}


def effective_delivery_expression(
    user_field: str = "recipient_id", event_field: str = "event_type"
):
    """The delivery in force for each notification row, as SQL (stored preference or default)."""
    stored = NotificationPreference.objects.filter(
        user_id=OuterRef(user_field), event_type=OuterRef(event_field)
    ).values("delivery")[:1]
    default = Case(
        *[
            When(Q(**{event_field: event}), then=Value(str(d)))
            for event, d in DEFAULT_DELIVERY.items()
        ],
        default=Value(str(Delivery.DIGEST)),
        output_field=CharField(),
    )
    return Coalesce(Subquery(stored), default, output_field=CharField())
