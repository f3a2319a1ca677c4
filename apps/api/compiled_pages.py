"""The pages of a full sync from one statement compiled once per person and standing.

A partner system syncs by walking every page of a list (`?page_size=200`, then each `next`).
Each page is a cache miss, and building its queryset — the policy's conditions from the
person's access facts, the per-row download column, the keyset — and compiling it cost about
a third of the page's CPU (py-spy), although the SQL and its parameters are the same on every
page but for the cursor's two values.

So the statement is compiled once, with placeholder objects in the cursor's slots, and kept in
this process under everything it was built from:

- the person, their active and staff flags (all the policy reads of the person's row) and
  the digest of their access facts (`AccessFacts.standing`, which covers the facts' version
  and every id they hold): any change to their access is a new access version, so new facts
  and a new key, and facts that outlive an expiry are recomputed before they are used
  (`access_facts`), so a grant that ends is a new key too;
- the list's shape: the sync field, the page size and the direction.

Only what depends on nothing else is kept. A statement is used once and forgotten when
building it read the database (its answers could change under the same key), when any of its
parameters is a time or a date other than the cursor's (the clock would be frozen into it), or
when the request carries any parameter but `page_size` and `cursor` (filters go the ordinary
way). PostgreSQL only: elsewhere a page is built as before.
"""

from __future__ import annotations

import datetime
import threading
import uuid
from collections import OrderedDict, namedtuple
from dataclasses import dataclass

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import connections, router

from apps.access.facts import access_facts
from apps.api.pagination import SyncCursorPagination, keyset, refused_cursor
from apps.core.compiled import with_literals_except

SYNC_PARAMETERS = frozenset({"page_size", "cursor"})
MEMO_SIZE = 512
_CLOCK_TYPES = (datetime.date, datetime.time, datetime.timedelta)


@dataclass(frozen=True)
class _PageStatement:
    sql: str
    params: tuple
    moment_slots: tuple[int, ...]
    id_slots: tuple[int, ...]
    model: type
    row_class: type
    # Django's converters per column position, as the compiler found them (none for the text,
    # number and boolean columns of the lists here). The compiler itself is not kept: about
    # 100 KB of query tree per statement.
    converters: tuple

    def rows(self, connection, moment, pk) -> list:
        params = list(self.params)
        for slot in self.moment_slots:
            params[slot] = moment
        for slot in self.id_slots:
            params[slot] = pk
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            fetched = cursor.fetchall()
        if self.converters:
            fetched = [self._converted(row, connection) for row in fetched]
        return [self.row_class._make(row) for row in fetched]

    def _converted(self, row, connection) -> list:
        row = list(row)
        for position, (functions, expression) in self.converters:
            for function in functions:
                row[position] = function(row[position], expression, connection)
        return row


_memo: OrderedDict = OrderedDict()
_memo_lock = threading.Lock()


def forget() -> None:
    """Drop this process's statements (tests)."""
    with _memo_lock:
        _memo.clear()


def _compile(build, field: str, forward: bool, has_cursor: bool, size: int, connection):
    """`(statement, reusable)`: the page statement with fresh placeholders in the cursor's
    slots, and whether it depends on nothing but its key."""
    moment, pk = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC), uuid.UUID(int=0)
    reads: list[str] = []

    def note_read(execute, sql, params, many, context):
        reads.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(note_read):
        queryset = keyset(build(), field, forward, (moment, pk) if has_cursor else None)
        queryset = queryset[: size + 1]
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
    moment_slots = tuple(index for index, param in enumerate(params) if param is moment)
    id_slots = tuple(index for index, param in enumerate(params) if param is pk)
    if has_cursor and not (moment_slots and id_slots):
        raise RuntimeError("The cursor's values did not reach the statement as bound.")
    slots = set(moment_slots) | set(id_slots)
    clock = any(
        isinstance(param, _CLOCK_TYPES) for index, param in enumerate(params) if index not in slots
    )
    # The constant parameters (the facts' arrays of ids) written into the SQL once, as the
    # driver would write them on every execution; only the cursor's values are bound.
    literal = with_literals_except(connection, sql, params, slots)
    if literal is not None:
        order = sorted(slots)
        sql, params = literal, [None] * len(order)
        moment_slots = tuple(order.index(slot) for slot in moment_slots)
        id_slots = tuple(order.index(slot) for slot in id_slots)
    columns = [column[0] for column in compiler.select[: compiler.col_count]]
    statement = _PageStatement(
        sql,
        tuple(params),
        moment_slots,
        id_slots,
        queryset.model,
        namedtuple("Row", queryset._fields),
        tuple(compiler.get_converters(columns).items()),
    )
    return statement, not reads and not clock


def _key(request, view, field: str, size: int, forward: bool, has_cursor: bool, alias: str):
    user = request.user
    facts = access_facts(user)
    shape = (type(view).__qualname__, field, size, forward, has_cursor)
    flags = (user.is_active, user.is_staff, user.is_superuser)  # all the policy reads of the row
    return (alias, user.pk, *flags, facts.standing, *shape)


def sync_page(view, build) -> list:
    """The page's rows of `build()` (the list's queryset of `values_list` rows, policy filter
    included), as `view.paginate_queryset(build())` gives them, from a statement compiled once
    per key (see the module docstring)."""
    request = view.request
    paginator = view.paginator
    alias = router.db_for_read(view.model)
    connection = connections[alias]
    if (
        connection.vendor != "postgresql"
        or not isinstance(paginator, SyncCursorPagination)
        or not set(request.query_params) <= SYNC_PARAMETERS
        or not request.user.is_authenticated
    ):
        return view.paginate_queryset(build())
    field, size, forward, after = paginator.position(request, view)
    key = _key(request, view, field, size, forward, after is not None, alias)
    with _memo_lock:
        statement = _memo.get(key)
        if statement is not None:
            _memo.move_to_end(key)
    if statement is None:
        statement, reusable = _compile(build, field, forward, after is not None, size, connection)
        if reusable:
            with _memo_lock:
                _memo[key] = statement
                while len(_memo) > MEMO_SIZE:
                    _memo.popitem(last=False)
    moment = pk = None
    if after is not None:
        model = statement.model
        try:
            moment = model._meta.get_field(field).get_db_prep_value(after[0], connection)
            pk = model._meta.pk.get_db_prep_value(after[1], connection)
        except (ValueError, DjangoValidationError):
            raise refused_cursor() from None
    rows = statement.rows(connection, moment, pk)
    return paginator.page(rows, view, field, size, forward)
