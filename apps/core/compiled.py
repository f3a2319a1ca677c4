"""A hot statement compiled once per process, executed with one value that varies.

Some statements run on every request with only one parameter changing (the token lookup, the
unread digest, the API page's files and organisations). Building and compiling their
querysets cost more than PostgreSQL's answer, so each is compiled once with a placeholder
object in place of the varying value, and later executed with the value in its slot.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from django.db import connections
from django.db.models.query import get_related_populators


@dataclass(frozen=True)
class OneValueStatement:
    sql: str
    params: tuple
    slot: int  # the index in `params` of the varying value

    @classmethod
    def compile(cls, compiler, placeholder: object) -> OneValueStatement:
        """`compiler`'s SQL, with the slot where `placeholder` (this very object, passed to
        the queryset) was bound; it must be bound exactly once."""
        sql, params = compiler.as_sql()
        slots = [index for index, param in enumerate(params) if param is placeholder]
        if len(slots) != 1:
            raise RuntimeError(
                f"The statement binds its varying value {len(slots)} times, not once."
            )
        return cls(sql, tuple(params), slots[0])

    def inside(self, before: str, before_params: list, after: str) -> OneValueStatement:
        """This statement wrapped as `before + sql + after`, `before` taking `before_params`."""
        return OneValueStatement(
            before + self.sql + after,
            (*before_params, *self.params),
            len(before_params) + self.slot,
        )

    def bound(self, value) -> list:
        params = list(self.params)
        params[self.slot] = value
        return params

    def fetchall(self, connection, value) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(self.sql, self.bound(value))
            return cursor.fetchall()


class FirstInstance:
    """The first model instance of `build(placeholder)` — a queryset that may follow
    `select_related` and carry annotations — compiled once per process and database, then
    executed with each value in the placeholder's slot.

    The instance is built as Django's `ModelIterable` builds it: the same columns and
    converters, the related instances, the annotations as attributes. `placeholder` must
    reach the compiled parameters as the very object passed (a string, or on PostgreSQL a
    `uuid.UUID`); `OneValueStatement.compile` refuses the statement otherwise."""

    def __init__(self, build, placeholder: object):
        self.build = build
        self.placeholder = placeholder
        self.compiled: dict[str, tuple] = {}

    def _compile(self, alias: str) -> tuple:
        compiler = self.build(self.placeholder).query.get_compiler(using=alias)
        statement = OneValueStatement.compile(compiler, self.placeholder)
        info = compiler.klass_info
        start, end = info["select_fields"][0], info["select_fields"][-1] + 1
        names = [column[0].target.attname for column in compiler.select[start:end]]
        populators = get_related_populators(info, compiler.select, alias)
        return compiler, statement, (start, end, names), populators

    def first(self, value, *, using: str):
        if using not in self.compiled:
            self.compiled[using] = self._compile(using)
        compiler, statement, (start, end, names), populators = self.compiled[using]
        rows = statement.fetchall(connections[using], value)
        for row in compiler.results_iter(results=[rows]):
            instance = compiler.query.model.from_db(using, names, row[start:end])
            for populator in populators:
                populator.populate(row, instance)
            for name, position in compiler.annotation_col_map.items():
                setattr(instance, name, row[position])
            return instance
        return None


# Marks a slot left for later while the rest is written out; random per process, so that no
# parameter's text can hold it (and a statement where one appears is refused).
_SLOT_MARK = f"\x1fslot-{secrets.token_hex(16)}\x1f"
_PLACEHOLDER = re.compile(r"%%|%s")


def with_literals_except(connection, sql: str, params, slots) -> str | None:
    """`sql` with every parameter written in as the literal the database driver itself would
    send (client-side binding quotes each value the same way at execution), except the
    parameters at the indexes `slots`, which stay `%s` placeholders, in order. Any other "%"
    is doubled, so the result is executed with the slots' values only. None when not on
    PostgreSQL, or when the statement cannot be split so (it is then executed as it was).

    A statement executed again and again with a few values changing (the pages of a sync)
    otherwise has the driver write out its constant parameters (arrays of ids) every time."""
    if connection.vendor != "postgresql":
        return None
    pieces = _PLACEHOLDER.split(sql)
    markers = _PLACEHOLDER.findall(sql)
    if markers.count("%s") != len(params):
        return None
    fixed, written, index = [], [pieces[0]], 0
    for marker, piece in zip(markers, pieces[1:], strict=True):
        if marker == "%%":
            written.append("%%")
        elif index in slots:
            written.append(_SLOT_MARK)
            index += 1
        else:
            written.append("%s")
            fixed.append(params[index])
            index += 1
        written.append(piece)
    literal = connection.ops.compose_sql("".join(written), fixed)
    if literal.count(_SLOT_MARK) != len(slots):
        return None
    return literal.replace("%", "%%").replace(_SLOT_MARK, "%s")
