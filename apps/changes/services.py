"""Writes of the change feed that no row write carries: access that ends by the clock.

A grant's `valid_until` and a membership's `ends_on` end access with no write at all (the
policy compares the clock itself, so access never waits for a sweep). Nothing in the database
changes, so no trigger fires; `changes_record_time_ends` — run by beat every minute
(`CHANGES_TIME_END_SECONDS`) — records each end that fell since its last run as if the row
had been written then (op "T"), with a before-image that shows the row still in force, so that
the holder, and only those who could see through it, receive the access loss.
"""

import datetime

from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from apps.changes.hooks import time_ends_recorded
from apps.changes.models import TimeEndClock
from apps.changes.triggers import time_end_statements

FAR_FUTURE = "9999-12-31 23:59:59+00:00"


def _end_of_day(day: datetime.date) -> datetime.datetime:
    """A membership holds through `ends_on` (the portal's zone): it ends at the next midnight."""
    zone = timezone.get_default_timezone()
    return datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(), zone)


def _due(since: datetime.datetime, now: datetime.datetime) -> list[tuple[str, object, dict]]:
    """(model label, row id, before-image overrides) of every end in (since, now]."""
    # System reads (beat task, no caller): every grant and membership whose end is due.
    AccessGrant = apps.get_model("access", "AccessGrant")
    Membership = apps.get_model("projects", "Membership")
    grants = AccessGrant.objects.filter(
        valid_until__gt=since, valid_until__lte=now, status__in=["active", "expired"]
    ).values_list("pk", flat=True)
    zone = timezone.get_default_timezone()
    first, last = timezone.localdate(since, zone), timezone.localdate(now, zone)
    # ends_on = d ends at the start of d + 1: due when since < that moment <= now.
    memberships = Membership.objects.filter(
        ended_at__isnull=True, ends_on__gte=first, ends_on__lt=last
    ).values_list("pk", "ends_on")
    due = [
        ("access.AccessGrant", pk, {"valid_until": FAR_FUTURE, "status": "active"}) for pk in grants
    ]
    due += [
        ("projects.Membership", pk, {"ends_on": None})
        for pk, ends_on in memberships
        if since < _end_of_day(ends_on) <= now
    ]
    return due


@transaction.atomic
def changes_record_time_ends(*, now: datetime.datetime | None = None) -> int:
    """Record the grants and memberships that ended by the clock since the last run; returns
    how many. Idempotent: the clock row is locked and moved forward in the same transaction,
    so a second run (or two beats at once) records nothing twice."""
    now = now or timezone.now()
    clock, _ = TimeEndClock.objects.get_or_create(pk=1, defaults={"recorded_until": now})
    clock = TimeEndClock.objects.select_for_update().get(pk=1)
    if now <= clock.recorded_until:
        return 0
    due = _due(clock.recorded_until, now)
    with connection.cursor() as cursor:
        for label, pk, overrides in due:
            for sql in time_end_statements(apps, connection, label, pk.hex, overrides):
                cursor.execute(sql)
    clock.recorded_until = now
    clock.save(update_fields=["recorded_until"])
    if due:
        transaction.on_commit(lambda: time_ends_recorded.send(sender=TimeEndClock, count=len(due)))
    return len(due)
