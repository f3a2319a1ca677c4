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

import logging
import threading
from collections import OrderedDict

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.core import signing
from django.db import connections, router
from django.utils import timezone

_STATEMENTS: dict[str, str] = {}  # per database vendor

# Verified session payloads (the JSON text under the signature), by the exact signed text and
# the secrets that verified it. Checking the signature (key derivation and HMAC), then base64
# and zlib, was a twentieth of a signed-in request that read little else; it is a pure
# function of these inputs, so its result is kept. Only text that passed Django's own check
# is kept, and a rotated secret is another key. Bounded: one entry per session a process
# served lately, the least recently used dropped first (a session is a few hundred bytes, so
# about a megabyte a process; a session that falls out is only checked again).
_VERIFIED: OrderedDict[tuple, bytes] = OrderedDict()
_VERIFIED_LOCK = threading.Lock()
_VERIFIED_MAX = 1024


class _Payload:
    """A `signing` serializer that hands back the verified bytes undecoded."""

    def loads(self, data: bytes) -> bytes:
        return data


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

    def decode(self, session_data):
        """Django's `SessionBase.decode`, with the verified payload kept (`_VERIFIED`)."""
        key = (session_data, self.key_salt, settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS)
        with _VERIFIED_LOCK:
            payload = _VERIFIED.get(key)
            if payload is not None:
                _VERIFIED.move_to_end(key)
        if payload is None:
            try:
                payload = signing.loads(session_data, salt=self.key_salt, serializer=_Payload)
            except signing.BadSignature:
                logging.getLogger("django.security.SuspiciousSession").warning(
                    "Session data corrupted"
                )
                return {}
            except Exception:
                # As Django's: any other failure reads as an empty session.
                return {}
            with _VERIFIED_LOCK:
                _VERIFIED[key] = payload
                if len(_VERIFIED) > _VERIFIED_MAX:
                    _VERIFIED.popitem(last=False)
        try:
            return self.serializer().loads(payload)
        except Exception:
            return {}
