"""Who may hear about a target: the policy's view rule, asked for many people at once.

`can(user, "view", target)` costs one query — and, worse, one compilation of a large ORM
expression — per person; a fan-out to 10,000 people cannot afford that. A rule is a function
`user -> Q` that depends on the person only through their primary key (in subqueries) and
their flags (staff, active). So, for each group of people with the same flags, the rule is
compiled once for a sentinel person, every placeholder bound to the sentinel's id is replaced
by a reference to an outer VALUES list of everyone's ids, and one statement answers for all:

    WITH a(id) AS (VALUES (%s), (%s), …) SELECT a.id FROM a
    WHERE EXISTS (SELECT … FROM <target table> WHERE id = <target> AND <rule with a.id>)

Each row survives exactly when `can()` would say yes, because it is the same SQL with the
person's id in place of the sentinel's. tests/notifications/test_audience.py checks that the
two agree for every persona and target kind. SQL that cannot be rewritten safely falls back
to one conditional count per person.
"""

import copy
import logging
import uuid
from collections.abc import Iterable

from django.core.exceptions import EmptyResultSet
from django.db import connection, models
from django.db.models import Count, Q

from apps.access.policy import Action, rule_for

logger = logging.getLogger(__name__)

BATCH_SIZE = 200


def _rule_or_none(model: type[models.Model]):
    try:
        return rule_for(model, Action.VIEW)
    except LookupError:
        return None


def _concerns_self(user, target: models.Model) -> bool:
    """Without a rule, a non-staff person may still hear about a row that is about them."""
    if isinstance(target, type(user)):
        return target.pk == user.pk
    return any(
        getattr(target, field, None) == user.pk for field in ("user_id", "recipient_id", "owner_id")
    )


def _fallback_audience(users: list, target: models.Model) -> list:
    """A target with no view rule (deny by design elsewhere): staff, who see all metadata, and
    people the row is about. Anyone else is left out and the gap is logged, so a rule gets
    written rather than a title leaking."""
    allowed = [u for u in users if u.is_staff or _concerns_self(u, target)]
    if len(allowed) < len(users):
        logger.warning(
            "No view rule for %s: notified %d of %d recipients (staff and the row's own person).",
            target._meta.label,
            len(allowed),
            len(users),
        )
    return allowed


def _probe(user, sentinel):
    """A stand-in for `user` (same flags) whose primary key is the sentinel."""
    probe = copy.copy(user)
    probe.pk = sentinel
    # The policy's facts as subqueries over the probe's id, not the ids of one person.
    probe.policy_subqueries = True
    return probe


def _rule_sql(view_rule, model, target, probe) -> tuple[str, list] | None:
    """The SQL of "target, if `probe` may see it"; None when the rule can match nothing."""
    condition = view_rule(probe)
    rows = model._default_manager.filter(pk=target.pk)
    if condition:
        rows = rows.filter(condition)
    try:
        sql, params = rows.values("pk").query.sql_with_params()
    except EmptyResultSet:
        return None
    return sql, list(params)


def _correlated(sql: str, params: list, sentinel_value) -> tuple[str, list] | None:
    """Replace each placeholder bound to the sentinel by a reference to the outer person's id.
    None when the SQL cannot be split safely (literal percent signs)."""
    if "%%" in sql or sql.count("%s") != len(params):
        return None
    pieces = sql.split("%s")
    out, kept = [pieces[0]], []
    for param, piece in zip(params, pieces[1:], strict=True):
        if param == sentinel_value:
            out.append(f'"{ALIAS}"."id"')
        else:
            out.append("%s")
            kept.append(param)
        out.append(piece)
    return "".join(out), kept


ALIAS = "stratum_audience"
CHUNK = 20_000


def _group_allowed(view_rule, users: list, target: models.Model) -> list:
    """One statement for a group of people with the same flags: the rule's SQL is compiled
    once for a sentinel person, then correlated to a VALUES list of everyone's ids."""
    model, user_model = type(target), type(users[0])
    sentinel = uuid.uuid4()
    prepared = user_model._meta.pk.get_db_prep_value(sentinel, connection)
    compiled = _rule_sql(view_rule, model, target, _probe(users[0], sentinel))
    if compiled is None:
        return []
    if prepared not in compiled[1]:
        # The rule does not depend on who asks (e.g. staff see everything): ask once.
        with connection.cursor() as cursor:
            cursor.execute(compiled[0], compiled[1])
            return users if cursor.fetchone() else []
    correlated = _correlated(*compiled, prepared)
    if correlated is None:
        return [u for u in users if _batch_allowed(view_rule, [u], target)]
    sql, params = correlated
    allowed = set()
    postgres = connection.vendor == "postgresql"
    chunk_size = CHUNK if postgres else 500  # SQLite's variable limit
    for start in range(0, len(users), chunk_size):
        chunk = users[start : start + chunk_size]
        ids = [user_model._meta.pk.get_db_prep_value(u.pk, connection) for u in chunk]
        if postgres:
            # One array parameter rather than thousands of placeholders: the driver need not
            # split and bind a statement of megabytes (a third of a 10,000-person fan-out).
            pk_type = user_model._meta.pk.db_type(connection)
            people, bound = f"SELECT unnest(%s::{pk_type}[])", [ids]
        else:
            people, bound = "VALUES " + ", ".join(["(%s)"] * len(chunk)), ids
        # A CTE names the column on PostgreSQL and SQLite alike. Every value is a parameter;
        # `sql` is Django's own compilation of the policy rule.
        query = f'WITH "{ALIAS}"("id") AS ({people}) SELECT "{ALIAS}"."id" FROM "{ALIAS}" WHERE EXISTS ({sql})'  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(query, [*bound, *params])
            allowed.update(row[0] for row in cursor.fetchall())
    prepared_ids = {u.pk: user_model._meta.pk.get_db_prep_value(u.pk, connection) for u in users}
    return [u for u in users if prepared_ids[u.pk] in allowed or u.pk in allowed]


def _batch_allowed(view_rule, users: list, target: models.Model) -> list:
    """The plain form: one conditional count per person in one statement (fallback path)."""
    model = type(target)
    counts = {}
    for index, user in enumerate(users):
        condition = view_rule(user)
        # An empty Q means "everything"; give it a tautology the aggregate can compile.
        counts[f"u{index}"] = Count("pk", filter=condition if condition else Q(pk=target.pk))
    result = model._default_manager.filter(pk=target.pk).aggregate(**counts)
    return [user for index, user in enumerate(users) if result[f"u{index}"]]


def _flags(user) -> tuple:
    return (user.is_staff, user.is_superuser, user.is_active)


def who_may_see(users: Iterable, target: models.Model | None) -> list:
    """The subset of `users` (active ones only) that may view `target`, in their given order."""
    people = [u for u in users if u is not None and u.is_active]
    if target is None or not people:
        return people
    view_rule = _rule_or_none(type(target))
    if view_rule is None:
        return _fallback_audience(people, target)
    groups: dict[tuple, list] = {}
    for person in people:
        groups.setdefault(_flags(person), []).append(person)
    allowed = set()
    for group in groups.values():
        allowed.update(u.pk for u in _group_allowed(view_rule, group, target))
    return [u for u in people if u.pk in allowed]


def target_of(target_type: str, target_id: str) -> models.Model | None:
    """The row a notification points at, or None if it no longer exists."""
    from django.apps import apps

    if not target_type or not target_id:
        return None
    try:
        model = apps.get_model(target_type)
    except (LookupError, ValueError):
        return None
    return model._default_manager.filter(pk=target_id).first()


def notifications_still_visible(notifications: Iterable) -> list:
    """The notifications whose recipient may still view what each is about, in their order:
    the policy asked once per distinct target (`who_may_see`), as when they were written.
    A notification without a target stays; one whose target is gone, or whose recipient is
    no longer active, does not. Digests ask this when they gather and again when they send."""
    notifications = list(notifications)
    by_target: dict[tuple, list] = {}
    kept = set()
    for notification in notifications:
        if not notification.recipient.is_active:
            continue
        if not notification.target_type:
            kept.add(notification.pk)
            continue
        key = (notification.target_type, notification.target_id)
        by_target.setdefault(key, []).append(notification)
    for (target_type, target_id), group in by_target.items():
        target = target_of(target_type, target_id)
        if target is None:
            continue
        allowed = {user.pk for user in who_may_see([n.recipient for n in group], target)}
        kept.update(n.pk for n in group if n.recipient_id in allowed)
    return [n for n in notifications if n.pk in kept]
