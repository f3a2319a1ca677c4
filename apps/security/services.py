"""Security writes: sessions, sign-out everywhere, MFA reset, sign-in audit."""

import time

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.module_loading import import_string

from apps.accounts.token_format import DISPLAY_PREFIX_LENGTH, TOKEN_PREFIX
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record, client_ip
from apps.security.models import UserSession
from apps.security.session_keys import (
    SESSION_ROW_CHECKED_KEY,
    SESSION_ROW_KEY,
    SESSION_SEEN_KEY,
    SESSION_STARTED_KEY,
)

# At most this many failed sign-in events per account (and per IP address) per window are
# written, so a password-guessing run cannot flood the audit log.
FAILED_SIGNIN_AUDIT_LIMIT = 10
FAILED_SIGNIN_AUDIT_WINDOW = 15 * 60


def _session_store() -> type[SessionBase]:
    return import_string(f"{settings.SESSION_ENGINE}.SessionStore")


def _user_agent(request) -> str:
    return (request.META.get("HTTP_USER_AGENT") or "")[:300]


def _send(user, subject: str, template: str, context: dict) -> None:
    body = render_to_string(template, {"user": user, "site_url": settings.SITE_URL, **context})
    transaction.on_commit(
        lambda: send_mail(f"[Stratum] {subject}", body, None, [user.email], fail_silently=True)
    )


# --- Sessions ------------------------------------------------------------------------------
@transaction.atomic
def user_session_start(*, user, request) -> UserSession:
    """Record a new signed-in session; e-mail the person when the browser is new to us."""
    if request.session.session_key is None:
        request.session.save()
    agent = _user_agent(request)
    known_before = UserSession.objects.filter(user=user)
    is_new_device = known_before.exists() and not known_before.filter(user_agent=agent).exists()
    row = UserSession(
        user=user,
        session_key=request.session.session_key,
        user_agent=agent,
        ip_address=client_ip(request),
        last_seen_at=timezone.now(),
    )
    row.full_clean()
    row.save()
    now = time.time()
    request.session[SESSION_ROW_KEY] = str(row.pk)
    request.session[SESSION_STARTED_KEY] = now
    request.session[SESSION_SEEN_KEY] = now
    request.session[SESSION_ROW_CHECKED_KEY] = now
    audit_record(
        actor=user,
        action="signin.succeeded",
        target=user,
        request=request,
        details={"user_agent": agent, "new_device": is_new_device},
    )
    if is_new_device:
        _send(
            user,
            "New sign-in to your account",
            "security/email/new_device.txt",
            {"session": row},
        )
    return row


@transaction.atomic
def user_session_end_current(*, request, reason: str) -> None:
    row_id = request.session.get(SESSION_ROW_KEY)
    if row_id:
        UserSession.objects.filter(pk=row_id, ended_at__isnull=True).update(
            ended_at=timezone.now(), end_reason=reason[:40]
        )


@transaction.atomic
def user_sessions_end_all(*, user, actor, request=None, keep_current: bool = False) -> int:
    """Sign `user` out everywhere: every recorded session is ended and deleted from the
    session store, so the next request of any of those browsers is anonymous."""
    current = request.session.get(SESSION_ROW_KEY) if (request and keep_current) else None
    rows = UserSession.objects.select_for_update().filter(user=user, ended_at__isnull=True)
    if current:
        rows = rows.exclude(pk=current)
    keys = list(rows.values_list("session_key", flat=True))
    count = rows.update(ended_at=timezone.now(), end_reason="signed_out_everywhere")
    store = _session_store()
    for key in keys:
        store(session_key=key).delete()
    audit_record(
        actor=actor,
        action="sessions.end_all",
        target=user,
        request=request,
        details={"sessions": count, "kept_current": bool(current)},
    )
    return count


# --- Sign-in audit -------------------------------------------------------------------------
def _under_audit_limit(*keys: str) -> bool:
    allowed = True
    for key in keys:
        cache_key = f"security:failed-signin-audit:{key}"
        cache.add(cache_key, 0, FAILED_SIGNIN_AUDIT_WINDOW)
        try:
            count = cache.incr(cache_key)
        except ValueError:
            cache.set(cache_key, 1, FAILED_SIGNIN_AUDIT_WINDOW)
            count = 1
        allowed = allowed and count <= FAILED_SIGNIN_AUDIT_LIMIT
    return allowed


def signin_failed_record(*, login: str, user, request) -> AuditEvent | None:
    """A failed sign-in, written only while under the per-account and per-IP limits."""
    login = (login or "").strip().lower()[:254]
    ip = client_ip(request) or "unknown"
    if not _under_audit_limit(f"login:{login}", f"ip:{ip}"):
        return None
    if user is not None:
        return audit_record(
            actor=None, action="signin.failed", target=user, request=request, actor_role="anonymous"
        )
    # No such account: record the address tried, not a made-up target.
    return AuditEvent.objects.create(
        action="signin.failed",
        actor_role="anonymous",
        target_type="accounts.user",
        target_id="",
        target_repr=login[:300],
        ip_address=client_ip(request),
        details={"unknown_account": True},
    )


# --- MFA --------------------------------------------------------------------------------------
@transaction.atomic
def user_mfa_reset(*, user, actor, reason: str, request=None) -> int:
    """Staff remove every authenticator of `user` (lost phone and recovery codes); the person
    enrols again at their next sign-in. Their other sessions are ended."""
    from django.core.exceptions import PermissionDenied, ValidationError

    if not (actor.is_staff and actor.is_active):
        raise PermissionDenied("Only staff can reset two-factor authentication.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the second factor is being reset."})
    types = list(Authenticator.objects.filter(user=user).values_list("type", flat=True))
    deleted, _ = Authenticator.objects.filter(user=user).delete()
    audit_record(
        actor=actor,
        action="mfa.reset",
        target=user,
        request=request,
        actor_role="staff",
        reason=reason,
        details={"removed": sorted(types)},
    )
    user_sessions_end_all(user=user, actor=actor, request=None)
    _send(user, "Your two-factor authentication was reset", "security/email/mfa_reset.txt", {})
    return deleted


def token_created_notify(*, token, person) -> None:
    """E-mail the person who made a token, so a token they did not make is noticed."""
    if person is None or not person.email or not person.is_active:
        return
    _send(
        person, "A new API token was created", "security/email/token_created.txt", {"token": token}
    )


ADMIN_ACTIONS = {1: "admin.add", 2: "admin.change", 3: "admin.delete"}


def admin_action_record(*, log_entry) -> AuditEvent:
    """Every change made in the Django admin (its LogEntry) is also an audit event, in the
    same transaction, naming the object changed rather than the log entry."""
    content_type = log_entry.content_type
    return AuditEvent.objects.create(
        actor_id=log_entry.user_id,
        actor_role="staff",
        action=ADMIN_ACTIONS.get(log_entry.action_flag, "admin.action"),
        target_type=(
            f"{content_type.app_label}.{content_type.model}" if content_type else "unknown"
        ),
        target_id=str(log_entry.object_id or "")[:64],
        target_repr=log_entry.object_repr[:300],
        details={"change_message": log_entry.get_change_message()[:2000]},
    )


# --- API token use --------------------------------------------------------------------------
TOKEN_USE_AUDIT_WINDOW = 24 * 3600


def token_use_key(*, token, request) -> str:
    """The cache key marking that `token` was used from this request's address today."""
    return f"security:token-use:{token.pk}:{client_ip(request) or 'unknown'}"


def token_use_record(*, token, request) -> AuditEvent | None:
    """Audit a token's use once per token, IP address and day: enough to trace a leaked token
    to where it was used, without one event per API call. (The API asks whether the use is
    new together with its rate limits, in one Redis round trip: `apps.api.throttling`.)"""
    if not cache.add(token_use_key(token=token, request=request), 1, TOKEN_USE_AUDIT_WINDOW):
        return None
    return token_use_audit(token=token, request=request)


def token_use_audit(*, token, request) -> AuditEvent:
    """The audit event of a token's first use from an address in the window."""
    return audit_record(
        actor=token.user,
        action="api_token.use",
        target=token,
        request=request,
        organisation_id=token.organisation_id,
        details={"prefix": token.prefix},
    )


def token_failed_record(*, raw: str, request) -> AuditEvent | None:
    """Audit a refused token (within the same caps as failed sign-ins). Only the public part
    of a well-formed token is kept, never anything that could be the secret."""
    ip = client_ip(request) or "unknown"
    if not _under_audit_limit(f"token-ip:{ip}"):
        return None
    shown = raw[:DISPLAY_PREFIX_LENGTH] if raw.startswith(TOKEN_PREFIX) else ""
    return AuditEvent.objects.create(
        action="api_token.refused",
        actor_role="anonymous",
        target_type="accounts.apitoken",
        target_id="",
        target_repr=shown,
        ip_address=client_ip(request),
        details={"path": request.path[:200]},
    )
