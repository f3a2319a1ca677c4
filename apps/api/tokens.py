"""API tokens: format, hashing and the services that issue and revoke them.

Format: ``strat_<32 base62 characters of randomness><6 base62 characters of CRC-32>``.
The fixed ``strat_`` prefix and the checksum let secret scanners (and our own authentication)
recognise a Stratum token and reject a mistyped one without a database query. Only the SHA-256
of the whole token is stored; the plaintext is returned once by the create services.
"""

import hashlib
import hmac
import secrets
import string
import zlib
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, router, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from apps.access.facts import note_read_with_person
from apps.access.models import AccessVersion
from apps.accounts.models import ApiToken, User
from apps.accounts.token_format import (
    CHECKSUM_LENGTH,
    DISPLAY_PREFIX_LENGTH,
    RANDOM_LENGTH,
    TOKEN_LENGTH,
    TOKEN_PREFIX,
)
from apps.audit.services import audit_record
from apps.core.compiled import FirstInstance
from apps.organisations.services.affiliations import affiliation_create
from apps.projects import catalogue_ref as catalogue_sql

DEFAULT_EXPIRY_DAYS = 90
MAX_EXPIRY_DAYS = 365
ALPHABET = string.digits + string.ascii_letters
VALID_SCOPES = frozenset(ApiToken.Scope.values)
SERVICE_ACCOUNT_DOMAIN = "service.stratum.invalid"


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, remainder = divmod(number, 62)
        digits.append(ALPHABET[remainder])
    return "".join(reversed(digits))


def _checksum(random_part: str) -> str:
    return _base62(zlib.crc32(random_part.encode()), CHECKSUM_LENGTH)


def token_generate() -> str:
    random_part = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return f"{TOKEN_PREFIX}{random_part}{_checksum(random_part)}"


def token_is_well_formed(raw: str) -> bool:
    """Shape and checksum only: a cheap filter before any database work."""
    if len(raw) != TOKEN_LENGTH or not raw.startswith(TOKEN_PREFIX):
        return False
    body = raw[len(TOKEN_PREFIX) :]
    if any(char not in ALPHABET for char in body):
        return False
    random_part, checksum = body[:RANDOM_LENGTH], body[RANDOM_LENGTH:]
    return hmac.compare_digest(_checksum(random_part), checksum)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _token_with_holder(digest: str):
    # The holder's access version comes with the row: the policy then needs no probe of its
    # own before it answers from the cached access facts (apps.access.facts).
    version = AccessVersion.objects.filter(user_id=OuterRef("user_id")).values("version")[:1]
    return (
        ApiToken.objects.select_related("user")
        .annotate(holder_access_version=Subquery(version), **catalogue_sql.annotations())
        .filter(token_hash=digest)
        .order_by("pk")[:1]
    )


# Every API request asks it, and building and compiling the queryset cost as much as the rest
# of the lookup: compiled once per process and database.
_TOKEN = FirstInstance(_token_with_holder, "-" * 64)


def token_find(raw: str) -> ApiToken | None:
    """The token row for `raw`, or None. The lookup is by hash (an index probe), and the
    stored hash is then compared in constant time, so timing reveals nothing of the secret."""
    if not token_is_well_formed(raw):
        return None
    digest = token_hash(raw)
    token = _TOKEN.first(digest, using=router.db_for_read(ApiToken))
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    note_read_with_person(
        token.user,
        token.holder_access_version,
        token.catalogue_version_seen,
        token.catalogue_pending_seen,
    )
    return token


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    plaintext: str


def _clean_scopes(scopes) -> list[str]:
    chosen = sorted({str(scope).strip() for scope in scopes if str(scope).strip()})
    if not chosen:
        raise ValidationError({"scopes": "Choose at least one scope."})
    unknown = [scope for scope in chosen if scope not in VALID_SCOPES]
    if unknown:
        raise ValidationError({"scopes": f"Unknown scope: {', '.join(unknown)}."})
    return chosen


def _clean_expiry(expires_days: int) -> int:
    if not 1 <= int(expires_days) <= MAX_EXPIRY_DAYS:
        raise ValidationError(
            {"expires_days": f"Choose between 1 and {MAX_EXPIRY_DAYS} days (one year)."}
        )
    return int(expires_days)


def _issue(*, user: User, name: str, scopes, expires_days: int, organisation=None, created_by):
    scopes = _clean_scopes(scopes)
    expires_days = _clean_expiry(expires_days)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the token a name that says where it is used."})
    for _ in range(5):
        plaintext = token_generate()
        token = ApiToken(
            user=user,
            organisation=organisation,
            created_by=created_by,
            name=name,
            prefix=plaintext[:DISPLAY_PREFIX_LENGTH],
            token_hash=token_hash(plaintext),
            scopes=scopes,
            expires_at=timezone.now() + timedelta(days=expires_days),
        )
        token.full_clean()
        try:
            with transaction.atomic():
                token.save()
        except IntegrityError:  # a prefix collision (1 in 62^8): draw again
            continue
        return IssuedToken(token=token, plaintext=plaintext)
    raise RuntimeError("Could not draw a unique token prefix.")


@transaction.atomic
def api_token_create(
    *,
    user: User,
    name: str,
    scopes,
    expires_days: int = DEFAULT_EXPIRY_DAYS,
    request=None,
) -> IssuedToken:
    """A personal token acting as `user`. Returns the plaintext once; only its hash is kept."""
    issued = _issue(user=user, name=name, scopes=scopes, expires_days=expires_days, created_by=user)
    audit_record(
        actor=user,
        action="api_token.create",
        target=issued.token,
        request=request,
        details={"scopes": issued.token.scopes, "prefix": issued.token.prefix},
    )
    return issued


def service_account_for(organisation, *, actor=None) -> User:
    """The organisation's dedicated service account (created on first use): an active user
    with no password and no verified e-mail, so nobody can sign in as it, affiliated to the
    organisation as a member, so the access policy gives it exactly the organisation's
    rights (consortium tier of its partner projects, registered tier, named-organisation
    files) and nothing a project membership or a grant would add."""
    email = f"{organisation.pk.hex}@{SERVICE_ACCOUNT_DOMAIN}"
    user, _ = User.objects.get_or_create(
        email=email,
        defaults={"first_name": organisation.name[:150], "last_name": "(service account)"},
    )
    if user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password", "updated_at"])
    affiliation_create(user=user, organisation=organisation, actor=actor, source="service_account")
    return user


def is_service_account(user) -> bool:
    return bool(getattr(user, "email", "").endswith(f"@{SERVICE_ACCOUNT_DOMAIN}"))


@transaction.atomic
def service_token_create(
    *,
    organisation,
    actor: User,
    name: str,
    scopes,
    expires_days: int = DEFAULT_EXPIRY_DAYS,
    request=None,
) -> IssuedToken:
    """An organisation service token. The caller must have checked that `actor` manages
    `organisation` (policy action `manage`)."""
    issued = _issue(
        user=service_account_for(organisation, actor=actor),
        name=name,
        scopes=scopes,
        expires_days=expires_days,
        organisation=organisation,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="api_token.create_service",
        target=issued.token,
        request=request,
        organisation_id=organisation.pk,
        details={"scopes": issued.token.scopes, "prefix": issued.token.prefix},
    )
    return issued


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User, request=None) -> ApiToken:
    """Revoke at once: authentication reads `revoked_at` on every request, nothing is cached."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.revoked_by = actor
    token.save(update_fields=["revoked_at", "revoked_by"])
    audit_record(
        actor=actor,
        action="api_token.revoke",
        target=token,
        request=request,
        organisation_id=token.organisation_id,
        details={"prefix": token.prefix},
    )
    return token


LAST_USE_RESOLUTION = timedelta(seconds=60)


def api_token_touch(*, token: ApiToken, ip: str | None) -> None:
    """Record last use (time and the IP of that request). A single UPDATE outside any
    transaction: bookkeeping, not a change worth auditing; at most once a minute per token,
    whatever the IP, so a partner behind several egress addresses writes no row per call.
    Where a token is used from is audited separately (`token_use_record`, per IP and day)."""
    now = timezone.now()
    if token.last_used_at and now - token.last_used_at < LAST_USE_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=ip)
    token.last_used_at, token.last_used_ip = now, ip
