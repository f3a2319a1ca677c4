"""Encryption at rest for identity-provider secrets (OIDC client secrets).

Fernet (AES-128-CBC + HMAC-SHA256) from `cryptography`. The key is `SSO_SECRET_KEY` (a Fernet
key, e.g. from `Fernet.generate_key()`) when set; otherwise one derived from SECRET_KEY, so a
development checkout needs no extra secret. Rotating SECRET_KEY without setting SSO_SECRET_KEY
makes stored secrets unreadable: staff then enter them again (the form says so).
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SecretUnreadable(Exception):
    """A stored secret was encrypted under another key (or is damaged)."""


def _fernet() -> Fernet:
    key = getattr(settings, "SSO_SECRET_KEY", "") or ""
    if key:
        try:
            return Fernet(key.encode() if isinstance(key, str) else key)
        except ValueError as error:
            raise ImproperlyConfigured(
                "SSO_SECRET_KEY must be a Fernet key: 32 url-safe base64-encoded bytes."
            ) from error
    # Domain-separated from every other use of SECRET_KEY.
    digest = hashlib.sha256(b"stratum.sso.secret:" + settings.SECRET_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt_secret(plaintext: str) -> str:
    if not plaintext:
        return ""
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt_secret(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise SecretUnreadable("The stored client secret cannot be decrypted.") from error
