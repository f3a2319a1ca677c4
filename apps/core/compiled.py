"""A hot statement compiled once per process, executed with one value that varies.

Some statements run on every request with only one parameter changing (the token lookup, the
unread digest, the API page's files and organisations). Building and compiling their
querysets cost more than PostgreSQL's answer, so each is compiled once with a placeholder
object in place of the varying value, and later executed with the value in its slot.
"""

from __future__ import annotations

from dataclasses import dataclass


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
