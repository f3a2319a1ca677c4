"""Signed one-click unsubscribe tokens (no sign-in needed, so the token is the credential).

A token names a person and what to stop: one event type, or "digest" for everything that
currently arrives in the daily digest. It never expires — an old e-mail's link must still
work — and changes nothing but that person's e-mail preferences.
"""

from dataclasses import dataclass

from django.core import signing

SALT = "stratum.notifications.unsubscribe"
DIGEST = "digest"


@dataclass(frozen=True)
class Unsubscribe:
    user_id: str
    scope: str  # an EventType value, or DIGEST


def unsubscribe_token(*, user_id, scope: str) -> str:
    return signing.dumps({"u": str(user_id), "s": scope}, salt=SALT, compress=True)


def unsubscribe_read(token: str) -> Unsubscribe:
    """Raises signing.BadSignature for a tampered or truncated token."""
    data = signing.loads(token, salt=SALT)
    if not isinstance(data, dict) or "u" not in data or "s" not in data:
        raise signing.BadSignature("Malformed unsubscribe token")
    return Unsubscribe(user_id=str(data["u"]), scope=str(data["s"]))
