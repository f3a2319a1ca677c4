"""Django's database sessions, read with one statement written once (issue 16: the fixed cost
of being signed in).

Every signed-in request reads its session first. Django's store builds, compiles and runs an
ORM query for it (`Session.objects.get(session_key=…, expire_date__gt=now)`), which cost more
than the statement itself. This store runs the same statement as SQL composed once per
process and reads only the column `load()` decodes; everything else — the table, the rows
written, expiry, the key's validation, `cycle_key()`, `flush()`, the clear-sessions command —
is Django's, so switching to it (or back) keeps every signed-in session.
"""

from __future__ import annotations

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.db import connections, router
from django.utils import timezone

_STATEMENTS: dict[str, str] = {}  # per database vendor


def _statement(connection) -> str:
    statement = _STATEMENTS.get(connection.vendor)
    if statement is None:
        quote = connection.ops.quote_name
        table, key = quote(Session._meta.db_table), quote("session_key")
        data, expires = quote("session_data"), quote("expire_date")
        statement = f"SELECT {data} FROM {table} WHERE {key} = %s AND {expires} > %s"  # noqa: S608
        _STATEMENTS[connection.vendor] = statement
    return statement


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self):
        key = self.session_key
        if key is None:  # no cookie, or one that failed validation
            return None
        connection = connections[router.db_for_read(Session)]
        moment = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(_statement(connection), [key, moment])
            row = cursor.fetchone()
        if row is None:  # unknown or expired: the next save creates a new key, as Django's does
            self._session_key = None
            return None
        return Session(session_key=key, session_data=row[0])
