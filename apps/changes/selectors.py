"""Reading the change feed: cursors, the settled bound, the entries addressed to a caller, and
whether a caller could see an object *before* the write that produced an entry.

Addressed tombstones (ACCESS.md, "Who learns that something exists"). An entry says only
"this object may look different now". For a caller who can see the object now it is an
upsert. For one who cannot, it is a tombstone only if the caller could see the object just
before the write that produced the entry — otherwise the caller learns nothing (no type, id or
time of an object it never saw). "Before" is answered by the one access policy, not by a copy
of its rules: each entry carries its cause (the written row's table, id and image before the
write; the triggers record it), and `seen_before` runs the caller's own list query with every
row written from that write on — to the end of the page, in feed order — put back as it was:
a `WITH "<table>" AS (…)` clause shadows each written table with "the rows now, minus the
written ones, plus their images before". So a child deleted before its parent (a dataset,
then its project) is still seen as it was, parent and all. An access loss by time carries a
before-image that shows the grant or membership still in force
(`services.changes_record_time_ends`).

Why this and not a per-caller "has seen" ledger: a ledger must be written on every read of
every list (full syncs come through the list endpoints, not the feed), which adds writes and
queries to lists; and recording the audience at write time means evaluating a per-person
policy for every person inside a trigger. This costs nothing on writes or lists, and on the
feed, when the page holds entries the caller cannot see now, one query for the page's writes
plus one statement per resource type among them; a caller who sees everything pays nothing.

What it does not see: writes after the end of the page are taken as they are now. A caller
who lost access in a later page than an object's deletion may get no tombstone for that
object (nothing leaks; the caller's copy keeps a row it once saw and can no longer reach).
"""

import json
import re
import uuid
from collections import OrderedDict, defaultdict
from collections.abc import Callable

from django.apps import apps
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Min, Q, QuerySet
from django.db.models.functions import Coalesce

from apps.access.policy.subjects import facts_as_subqueries
from apps.changes.models import ChangeEntry

CURSOR_PATTERN = re.compile(r"[0-9]{1,19}\.[0-9]{1,19}")


class BadCursor(ValueError):
    pass


def cursor_encode(txid: int, pk: int) -> str:
    return f"{txid}.{pk}"


def cursor_decode(value: str) -> tuple[int, int]:
    if not CURSOR_PATTERN.fullmatch(value):
        raise BadCursor(value)
    txid, pk = value.split(".")
    return int(txid), int(pk)


# The oldest transaction *of this database* still running (its id as xid8), else the snapshot's
# xmax. Transactions of other databases on the cluster are ignored (they never write here), so
# a long transaction elsewhere cannot stall the feed. pg_stat_activity shows 32-bit xids; the
# snapshot's in-progress list has the epoch-extended ones, matched on their low 32 bits.
SETTLED_BOUND_SQL = """
SELECT COALESCE(
    (SELECT min(x::text::bigint) FROM pg_snapshot_xip(pg_current_snapshot()) AS x
      WHERE (x::text::bigint % 4294967296) IN (
        SELECT backend_xid::text::bigint FROM pg_stat_activity
         WHERE datname = current_database() AND backend_xid IS NOT NULL)),
    pg_snapshot_xmax(pg_current_snapshot())::text::bigint),
  pg_current_xact_id_if_assigned()::text::bigint
"""


def _settled_filter() -> Q:
    """Entries whose transactions, and every transaction that could still write an entry
    before them, have finished; our own transaction's entries are visible to us too."""
    if connection.vendor != "postgresql":
        return Q()
    with connection.cursor() as cursor:
        cursor.execute(SETTLED_BOUND_SQL)
        bound, own = cursor.fetchone()
    settled = Q(txid__lt=bound)
    if own is not None:
        settled |= Q(txid=own)
    return settled


def audience_filter(user) -> Q:
    everyone = Q(audience_user_id__isnull=True, audience_organisation_id__isnull=True)
    if not getattr(user, "is_authenticated", False):
        return everyone
    from apps.organisations.models import Affiliation

    # System read (feed plumbing): the caller's own affiliations, to address entries.
    organisations = Affiliation.objects.filter(user_id=user.pk).values("organisation_id")
    return everyone | Q(audience_user_id=user.pk) | Q(audience_organisation_id__in=organisations)


# The feed's own access rule: entries addressed to the caller (`audience_filter`), each shown
# only after the policy has been asked about its row (`apps.api.feed.resolve`, `seen_before`).
ADDRESSED = "entries addressed to the caller, each row re-checked through the policy"


def head_cursor() -> str:
    """The cursor of the newest settled entry: where a fresh full sync starts following."""
    # System read for the read guard: a position only (two integers), no entry is shown.
    last = (
        ChangeEntry.objects.system("a feed position only (two integers); no entry is shown")
        .annotate(seq=Coalesce("txid", 0))
        .filter(_settled_filter())
        .order_by("-seq", "-id")
        .values_list("seq", "id")
        .first()
    )
    return cursor_encode(*last) if last else cursor_encode(0, 0)


def entries_after(user, after: tuple[int, int], limit: int) -> list[ChangeEntry]:
    """The entries addressed to `user` (`audience_filter` is the feed's access rule); each
    is then shown only through the policy (`apps.api.feed.resolve`, `seen_before`)."""
    txid, pk = after
    return list(
        ChangeEntry.objects.system(ADDRESSED)
        .annotate(seq=Coalesce("txid", 0))
        .filter(_settled_filter())
        .filter(Q(seq__gt=txid) | Q(seq=txid, id__gt=pk))
        .filter(audience_filter(user))
        .order_by("seq", "id")[:limit]
    )


def latest_per_object(entries) -> "OrderedDict":
    """Keep each object's last entry in the page (its current state is what is sent)."""
    latest: OrderedDict = OrderedDict()
    for entry in entries:
        key = (entry.resource, entry.object_id)
        latest.pop(key, None)
        latest[key] = entry
    return latest


# --- Before the write ------------------------------------------------------------------------------
Cause = tuple[str, str, str, object]  # (table, id as text, op, image before or None)


def _writes(page: list[ChangeEntry]) -> list[tuple[tuple, tuple]]:
    """Every write behind the page, in feed order: ((txid, first entry id), (table, id, op,
    image before)). A write — one trigger run — is known by its cause. On PostgreSQL all the
    writes of the page's transactions count, addressed to this caller or not; SQLite keeps no
    transaction id here, so the page's own entries stand for them."""
    if connection.vendor != "postgresql":
        seen: dict[tuple, tuple] = {}
        for e in page:
            if e.cause_table:
                write = (e.cause_table, e.cause_id, e.cause_op, e.cause_before)
                key = (e.cause_table, e.cause_id, e.cause_op, repr(e.cause_before))
                seen.setdefault(key, ((0, e.pk), write))
        return sorted(seen.values(), key=lambda item: item[0])
    txids = {e.txid for e in page if e.txid is not None}
    # System read for the read guard: the causes of the page's writes, used only to ask the
    # policy about the past; nothing of them is shown.
    rows = (
        ChangeEntry.objects.system("causes of the page's writes, to ask the policy of the past")
        .filter(txid__in=txids)
        .exclude(cause_table="")
        .values_list("txid", "cause_table", "cause_id", "cause_op", "cause_before")
        .annotate(first=Min("id"))
        .order_by("txid", "first")
    )
    return [((txid, first), (t, pk, op, before)) for txid, t, pk, op, before, first in rows]


def _causes(
    page: list[ChangeEntry], entries: list[ChangeEntry]
) -> tuple[dict[int, object], dict[object, tuple]]:
    """(entry id → key of the state just before its write, key → the rows to put back for
    that state: every row written from that write on, up to the end of the page, each with
    its image before the first such write; an image of None means "did not exist")."""
    writes = _writes(page)
    key_of, states = {}, {}
    for entry in entries:
        if not entry.cause_table:
            continue
        own = (entry.cause_table, entry.cause_id, entry.cause_op, entry.cause_before)
        txid = entry.txid or 0
        starts = [at for at, write in writes if write == own and at[0] == txid]
        starts = [at for at in starts if at[1] <= entry.pk]
        if not starts:
            continue
        key = max(starts)
        key_of[entry.pk] = key
        if key not in states:
            states[key] = _first_image_per_row(write for at, write in writes if at >= key)
    return key_of, states


def _first_image_per_row(writes) -> tuple:
    by_row: dict[tuple[str, str], tuple] = {}
    for table, pk, op, before in writes:
        by_row.setdefault((table, pk), (table, pk, op, before))
    return tuple(by_row.values())


def _models_by_table() -> dict:
    return {m._meta.db_table: m for m in apps.get_models(include_auto_created=True)}


def _shadow(causes: tuple[Cause, ...]) -> tuple[str, list]:
    """A WITH clause that shows each written table as it was before those writes."""
    by_table: dict[str, list[Cause]] = defaultdict(list)
    for cause in causes:
        by_table[cause[0]].append(cause)
    models = _models_by_table()
    clauses, params = [], []
    for table, written in by_table.items():
        ids = json.dumps([pk for _t, pk, _o, _b in written])
        images = json.dumps([before for _t, _pk, op, before in written if op != "I" and before])
        if connection.vendor == "postgresql":
            clauses.append(
                f'"{table}" AS (SELECT * FROM "{table}" WHERE "id"::text NOT IN '
                "(SELECT jsonb_array_elements_text(%s::jsonb)) UNION ALL "
                f'SELECT * FROM jsonb_populate_recordset(NULL::"{table}", %s::jsonb))'
            )
        else:
            columns = [f.column for f in models[table]._meta.concrete_fields]
            listed = ", ".join(f'"{c}"' for c in columns)
            extracted = ", ".join(f"json_extract(value, '$.{c}')" for c in columns)
            clauses.append(
                f'"{table}"({listed}) AS (SELECT {listed} FROM main."{table}" WHERE '
                'CAST("id" AS TEXT) NOT IN (SELECT value FROM json_each(%s)) UNION ALL '
                f"SELECT {extracted} FROM json_each(%s))"
            )
        params += [ids, images]
    return "WITH " + ", ".join(clauses), params


def seen_before(
    page: list[ChangeEntry],
    entries: list[ChangeEntry],
    queryset_for: Callable[[str, set], QuerySet],
) -> set[tuple[str, uuid.UUID]]:
    """(resource, id) among `entries` (some of the `page`) whose object the caller could see
    just before the write that produced the entry. `queryset_for(resource, ids)` is the
    caller's own list query for those ids (the policy's `visible()` inside it)."""
    if not entries:
        return set()
    key_of, written = _causes(page, entries)
    by_resource: dict[str, dict[object, set]] = defaultdict(lambda: defaultdict(set))
    for entry in entries:
        if written.get(key_of.get(entry.pk)):
            by_resource[entry.resource][key_of[entry.pk]].add(entry.object_id)
    seen: set[tuple[str, uuid.UUID]] = set()
    for resource, states in by_resource.items():
        # One statement per resource: a UNION ALL of the list query under each state, every
        # branch with its own WITH clause (a subquery may carry one in both databases).
        branches, params = [], []
        for key, ids in states.items():
            try:
                # The person's standing must come from the shadowed tables too (their
                # affiliation or partnership as it was), not from their current access facts.
                with facts_as_subqueries():
                    query = queryset_for(resource, ids).values_list("pk", flat=True).query
                    sql, query_params = query.sql_with_params()
            except EmptyResultSet:
                break  # the rule shows this caller nothing of this kind, in any state
            with_clause, shadow_params = _shadow(written[key])
            branches.append(f"SELECT q.* FROM ({with_clause} {sql}) AS q")
            params += [*shadow_params, *query_params]
        else:
            with connection.cursor() as cursor:
                cursor.execute(" UNION ALL ".join(branches), params)
                seen |= {(resource, _uuid(pk)) for (pk,) in cursor.fetchall()}
    return seen


def _uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
