"""Reads for the inbox: always the person's own rows, through the access policy."""

import uuid

from django.db import connection
from django.db.models import BigIntegerField, Count, Func, Max, QuerySet, Sum, TextField
from django.db.models.functions import Cast

from apps.access.policy import visible
from apps.access.policy.notifications import targets_named
from apps.core.compiled import OneValueStatement
from apps.notifications.models import Notification
from apps.projects.page_cache import (
    catalogue_cached,
    catalogue_ref,
    catalogue_ref_columns,
    catalogue_ref_from,
)


def _own_unread(recipient_id) -> QuerySet:
    return Notification.objects.filter(recipient_id=recipient_id, read_at__isnull=True).order_by()


def _own_unread_kinds(user) -> set[str]:
    """The kinds of target the person's own unread notices name. Learning them tells nobody
    anything (they are the person's own rows), and lets a statement about unread notices ask
    the policy only of those kinds' rules: the notification rule re-checks every kind of
    target a notice may name, and the unread count runs on every signed-in page."""
    return set(
        _own_unread(getattr(user, "pk", None))
        .values_list("target_type", flat=True)
        .distinct()
        .system("unread notices ask the policy only of the kinds the person's own notices name")
    )


def _own_unread_digest_query(recipient_id) -> QuerySet:
    ids = (
        Func(Cast("id", TextField()), function="hashtext", output_field=BigIntegerField())
        if connection.vendor == "postgresql"
        else None
    )
    return (
        _own_unread(recipient_id)
        .values("target_type")
        .annotate(
            number=Count("id"),
            newest=Max("created_at"),
            ids=Sum(ids) if ids is not None else Count("id"),
        )
        .values_list("target_type", "number", "newest", "ids")
        .system("the person's own unread notices, to key the count the policy filters")
    )


class _DigestStatement:
    """`_own_unread_digest_query` with the catalogue's version beside it (the count's key
    needs both: one round trip), compiled once per process on PostgreSQL and executed with
    each person's id: it runs on every signed-in page, and building and compiling the
    queryset cost more than running it. Its columns need no converter there (text, integers,
    an aware timestamp), so the cursor's rows are the queryset's
    (tests/notifications/test_unread_count_cache.py compares the two)."""

    _PLACEHOLDER = uuid.UUID("7c1f0e9a-0000-4000-8000-00000000d16e")

    def __init__(self):
        self.compiled: OneValueStatement | None = None

    def _compile(self) -> OneValueStatement:
        query = _own_unread_digest_query(self._PLACEHOLDER).query
        digest = OneValueStatement.compile(query.get_compiler(using="default"), self._PLACEHOLDER)
        columns, column_params = catalogue_ref_columns()
        before = f"SELECT d.*, {columns} FROM ("  # noqa: S608 - compiled SQL, no input
        return digest.inside(before, column_params, ") d")

    def rows(self, recipient_id) -> tuple[list[tuple], tuple[int, bool] | None]:
        """The digest's rows, and the catalogue's `catalogue_ref()` as read with them (None
        when there are no rows: the count is 0 whatever the catalogue holds)."""
        if connection.vendor != "postgresql":
            rows = list(_own_unread_digest_query(recipient_id))
            return rows, (catalogue_ref() if rows else None)
        if self.compiled is None:
            self.compiled = self._compile()
        rows = self.compiled.fetchall(connection, recipient_id)
        if not rows:
            return [], None
        return [tuple(row[:4]) for row in rows], catalogue_ref_from(rows[0][4:])


_DIGEST = _DigestStatement()


def _own_unread_digest(user) -> tuple[list[tuple], tuple[int, bool] | None]:
    """Per kind of target, how many unread notices the person has, their newest and (on
    PostgreSQL) a digest of their ids: it changes when a notice arrives, is read or is
    deleted, so a count cached under it is the count of these very notices. With it, the
    catalogue's version, read in the same statement."""
    recipient_id = getattr(user, "pk", None)
    if recipient_id is None:
        return [], None
    rows, ref = _DIGEST.rows(recipient_id)
    return sorted(rows, key=lambda row: row[0]), ref


def inbox_for(user, *, unread_only: bool = False):
    notifications = Notification.objects.all()
    if unread_only:
        kinds = _own_unread_kinds(user)
        if not kinds:
            return visible(user, notifications.none())
        with targets_named(kinds):
            notifications = visible(user, notifications.filter(read_at__isnull=True))
    else:
        notifications = visible(user, notifications)
    return notifications.order_by("-created_at")


def _unread_count_by_policy(user, kinds: set[str]) -> int:
    with targets_named(kinds):
        return visible(user, Notification.objects.filter(read_at__isnull=True)).count()


def unread_count(user) -> int:
    """The header's count, on every signed-in page. Cached under the catalogue version (every
    table the notification rule reads for any kind of target bumps it: proven in
    tests/notifications/test_unread_count_cache.py), the person's standing, and the digest of
    their own unread notices; a miss, or Redis down, counts through the policy."""
    digest, ref = _own_unread_digest(user)
    if not digest:  # with none, the answer is 0 whatever the policy says
        return 0
    kinds = {row[0] for row in digest}
    return catalogue_cached(
        user,
        "unread",
        repr([(kind, number, newest.isoformat(), ids) for kind, number, newest, ids in digest]),
        lambda: _unread_count_by_policy(user, kinds),
        lambda count: isinstance(count, int),
        ref=ref,
    )
