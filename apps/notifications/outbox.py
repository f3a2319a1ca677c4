"""Delivering the e-mail outbox: claim a row, send it once, record the outcome.

The outbox table is the truth and the broker only a hint: a task message says "look at row X
now", the sweep says the same for anything left pending, and every path goes through one
conditional claim, so duplicate messages are harmless.

Row life:  pending ──claim──▶ sending ──(commit "sent")──▶ sent
              ▲                  │ SMTP error before the end of the message
              └──── backoff ─────┘ (after MAX_ATTEMPTS: failed)

Delivery semantics — at most once, with the ambiguous window shrunk to microseconds.
A process can die at any instant (kill -9, OOM, a lost node). Two classic orders exist:

* send, then mark sent: a death between the two leaves a `sending` row whose message did
  reach the server; re-sending it after a timeout gives a duplicate (at-least-once);
* mark sent, then send: a death between the two loses the message (at-most-once).

SMTP lets us put the mark *inside* the send. The message body travels first; the server only
accepts it when it reads the final "<CRLF>.<CRLF>", and discards it if the connection drops
before that (RFC 5321 §4.1.1.4). So the worker sends the body, commits `sent` (conditional on
its own claim token), and only then writes the terminating dot. Hence:

* death before the commit: the server discards the half-sent message; the row is still
  `sending` and is re-claimed once its claim is older than the stale age → one delivery;
* a claim taken over from a slow (not dead) worker: that worker's conditional commit updates
  nothing, it drops the connection without the dot → still one delivery;
* death between the commit and the dot reaching the kernel (a few Python statements): the
  message is lost. That is the at-most-once choice: a lost e-mail still leaves the in-app
  notification in the inbox, while a duplicate cannot be taken back;
* the server's reply to the dot is lost (network): the message probably arrived; the row stays
  `sent` with the error noted, again at most once. An explicit refusal (4xx/5xx) means nothing
  was delivered, so the row goes back to pending (4xx) or failed (5xx).

Other backends (console, file, locmem) have no such protocol: they commit `sent` and then hand
the message over, reverting to pending if the hand-over raises — the same at-most-once rule.
"""

import contextlib
import logging
import re
import smtplib
import socket
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import sanitize_address
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from apps.notifications.audience import target_of
from apps.notifications.models import EventType, OutboxEmail
from apps.notifications.tokens import DIGEST, unsubscribe_token

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# A claim older than this belongs to a dead worker: it must exceed the task hard time limit
# (CELERY_TASK_TIME_LIMIT, 180 s), after which Celery has killed any live holder.
STALE_AFTER = timedelta(seconds=300)
# New rows get this long for their on-commit message before the sweep treats them as lost.
SWEEP_GRACE = timedelta(seconds=60)
# The retry task may arrive a little before `next_attempt_at` (clock differences).
CLOCK_SLACK = timedelta(seconds=5)


class ClaimLost(Exception):
    """Another worker took the row over; this one must not finish the delivery."""


@dataclass(frozen=True)
class Outcome:
    status: str  # sent, skipped, cancelled, retry, failed
    retry_in: int | None = None


def backoff_seconds(attempt: int) -> int:
    """30 s, 1, 2, 4, 8 min … capped below the broker's visibility timeout (600 s), so a
    retry waiting in a worker is never redelivered to another one meanwhile."""
    return min(30 * 2 ** max(attempt - 1, 0), 540)


# --- Claiming ------------------------------------------------------------------------------------
def claimable_q(now, stale_after: timedelta = STALE_AFTER) -> Q:
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + CLOCK_SLACK)
    pending = Q(status=OutboxEmail.Status.PENDING) & due
    abandoned = Q(status=OutboxEmail.Status.SENDING, claimed_at__lt=now - stale_after)
    return pending | abandoned


def outbox_claim(*, outbox_id, stale_after: timedelta = STALE_AFTER) -> uuid.UUID | None:
    """Claim the row for this worker (a committed conditional UPDATE); None if not claimable."""
    now = timezone.now()
    token = uuid.uuid4()
    claimed = OutboxEmail.objects.filter(claimable_q(now, stale_after), pk=outbox_id).update(
        status=OutboxEmail.Status.SENDING,
        claim_token=token,
        claimed_at=now,
        attempts=F("attempts") + 1,
        next_attempt_at=None,
    )
    return token if claimed == 1 else None


def _held(outbox_id, token) -> Q:
    return Q(pk=outbox_id, status=OutboxEmail.Status.SENDING, claim_token=token)


def _mark_sent(outbox_id, token) -> None:
    updated = OutboxEmail.objects.filter(_held(outbox_id, token)).update(
        status=OutboxEmail.Status.SENT, sent_at=timezone.now(), last_error=""
    )
    if updated != 1:
        raise ClaimLost(str(outbox_id))


def _release(row: OutboxEmail, token, error: str, *, permanent: bool = False) -> Outcome:
    """Give the row back after an error that delivered nothing: pending with backoff, or
    failed once attempts run out or the server refused for good. `row.attempts` was read after
    the claim, so it already counts this attempt."""
    attempt = row.attempts
    if permanent or attempt >= MAX_ATTEMPTS:
        OutboxEmail.objects.filter(pk=row.pk, claim_token=token).update(
            status=OutboxEmail.Status.FAILED, last_error=error[:2000]
        )
        logger.error("E-mail %s failed for good: %s", row.delivery_key, error)
        return Outcome("failed")
    delay = backoff_seconds(attempt)
    OutboxEmail.objects.filter(pk=row.pk, claim_token=token).exclude(
        status=OutboxEmail.Status.SENT
    ).update(
        status=OutboxEmail.Status.PENDING,
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
        last_error=error[:2000],
    )
    return Outcome("retry", retry_in=delay)


# --- Building the message ----------------------------------------------------------------------
def absolute(url: str) -> str:
    if url.startswith(("http://", "https://")):
        return url
    return f"{settings.SITE_URL}{url}" if url else settings.SITE_URL


def unsubscribe_url(*, user_id, scope: str) -> str:
    token = unsubscribe_token(user_id=user_id, scope=scope)
    return absolute(reverse("notifications:unsubscribe", args=[token]))


def _rendered_bodies(row: OutboxEmail, unsubscribe: str) -> tuple[str, str]:
    """Digests were rendered when gathered; single notifications render here, in the worker,
    so that a fan-out to thousands costs the request no template rendering."""
    if row.body_html or row.notification is None:
        return row.body_text, row.body_html
    notification = row.notification
    context = {
        "notification": notification,
        "recipient": row.recipient,
        "event_label": EventType(notification.event_type).label,
        "url": absolute(notification.url),
        "unsubscribe_url": unsubscribe,
        "preferences_url": absolute(reverse("notifications:preferences")),
        "site_url": settings.SITE_URL,
    }
    text = render_to_string("emails/notification.txt", context)
    html = render_to_string("emails/notification.html", context)
    return text, html


def _scope(row: OutboxEmail) -> str:
    return row.notification.event_type if row.notification is not None else DIGEST


def build_message(row: OutboxEmail) -> EmailMultiAlternatives:
    unsubscribe = unsubscribe_url(user_id=row.recipient_id, scope=_scope(row))
    text, html = _rendered_bodies(row, unsubscribe)
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "stratum"
    headers = {
        # RFC 2369 and RFC 8058: mail clients offer a one-click unsubscribe button.
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        # Stable per outbox row: even a copy that slipped through would thread as one message.
        "Message-ID": f"<{row.pk}@{host}>",
        "X-Stratum-Delivery-Key": row.delivery_key,
        "Auto-Submitted": "auto-generated",
    }
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[row.to_address],
        headers=headers,
    )
    if html:
        message.attach_alternative(html, "text/html")
    return message


# --- Sending -------------------------------------------------------------------------------------
_smtp: SmtpBackend | None = None  # one connection per worker process, reused across tasks


def _connection():
    """The process's open SMTP backend (kept open between tasks), or a fresh other backend."""
    global _smtp
    backend = get_connection(fail_silently=False)
    if not isinstance(backend, SmtpBackend):
        return backend
    if _smtp is None or _smtp.connection is None:
        _smtp = backend
        _smtp.open()
        # The end of data is written separately after the commit; without TCP_NODELAY, Nagle's
        # algorithm would hold that small write back until the body's ACK (tens of ms each).
        sock = getattr(_smtp.connection, "sock", None)
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return _smtp


def _drop_smtp() -> None:
    """Close without QUIT niceties: a half-sent message must be discarded by the server."""
    global _smtp
    if _smtp is not None and _smtp.connection is not None:
        with contextlib.suppress(OSError):
            _smtp.connection.close()
        _smtp.connection = None
    _smtp = None


def _smtp_send_two_phase(backend: SmtpBackend, message, commit) -> None:
    """Send over SMTP, calling `commit()` after the body and before the terminating dot."""
    smtp = backend.connection
    encoding = message.encoding or settings.DEFAULT_CHARSET
    sender = sanitize_address(message.from_email, encoding)
    recipients = [sanitize_address(addr, encoding) for addr in message.recipients()]
    data = message.message().as_bytes(linesep="\r\n")
    smtp.ehlo_or_helo_if_needed()
    code, reply = smtp.mail(sender)
    if code != 250:
        smtp.rset()
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    for recipient in recipients:
        code, reply = smtp.rcpt(recipient)
        if code not in (250, 251):
            smtp.rset()
            raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
    code, reply = smtp.docmd("data")
    if code != 354:
        smtp.rset()
        raise smtplib.SMTPDataError(code, reply)
    body = re.sub(rb"(?m)^\.", b"..", data)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    smtp.send(body)
    commit()  # raises ClaimLost: the caller drops the connection, the server discards the body
    smtp.send(b".\r\n")
    code, reply = smtp.getreply()
    if code != 250:
        raise smtplib.SMTPDataError(code, reply)


class _AfterDot(Exception):
    """The end of data was sent; what follows cannot be undone by dropping the connection."""

    def __init__(self, original: Exception):
        super().__init__(str(original))
        self.original = original


def _send_smtp(backend, message, row, token) -> Outcome:
    committed = False

    def commit():
        nonlocal committed
        _mark_sent(row.pk, token)
        committed = True

    try:
        _smtp_send_two_phase(backend, message, commit)
    except ClaimLost:
        _drop_smtp()
        return Outcome("skipped")
    except (smtplib.SMTPException, OSError) as exc:
        _drop_smtp()
        if not committed:
            permanent = isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500
            return _release(row, token, f"{type(exc).__name__}: {exc}", permanent=permanent)
        return _after_dot_error(row, token, exc)
    return Outcome("sent")


def _after_dot_error(row, token, exc) -> Outcome:
    """The row is already `sent`. A clear refusal means nothing arrived: undo the mark.
    A lost reply is ambiguous: keep `sent` (at most once) and note it."""
    if isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 400:
        OutboxEmail.objects.filter(pk=row.pk, claim_token=token).update(
            status=OutboxEmail.Status.SENDING, sent_at=None
        )
        return _release(row, token, f"{exc.smtp_code} {exc}", permanent=exc.smtp_code >= 500)
    OutboxEmail.objects.filter(pk=row.pk, claim_token=token).update(
        last_error=f"Reply to end of data lost, assumed delivered: {exc}"[:2000]
    )
    logger.warning("E-mail %s: reply lost after end of data (%s)", row.delivery_key, exc)
    return Outcome("sent")


def _send_other(backend, message, row, token) -> Outcome:
    try:
        _mark_sent(row.pk, token)
    except ClaimLost:
        return Outcome("skipped")
    try:
        backend.send_messages([message])
    except Exception as exc:
        OutboxEmail.objects.filter(pk=row.pk, claim_token=token).update(
            status=OutboxEmail.Status.SENDING, sent_at=None
        )
        return _release(row, token, f"{type(exc).__name__}: {exc}")
    return Outcome("sent")


def _still_visible(row: OutboxEmail) -> bool:
    """Re-ask the policy at send time: access may have gone since the event (a revoked grant,
    a left organisation). The in-app row stays; the e-mail is cancelled."""
    from apps.notifications.audience import who_may_see

    notification = row.notification
    if notification is None or not notification.target_type:
        return row.recipient.is_active
    target = target_of(notification.target_type, notification.target_id)
    return target is not None and bool(who_may_see([row.recipient], target))


def outbox_deliver(*, outbox_id, stale_after: timedelta = STALE_AFTER) -> Outcome:
    """Claim and send one outbox row. Safe to call any number of times, concurrently."""
    token = outbox_claim(outbox_id=outbox_id, stale_after=stale_after)
    if token is None:
        return Outcome("skipped")
    row = OutboxEmail.objects.select_related("recipient", "notification").get(pk=outbox_id)
    if not _still_visible(row):
        OutboxEmail.objects.filter(_held(row.pk, token)).update(
            status=OutboxEmail.Status.CANCELLED, last_error="The recipient can no longer see it."
        )
        return Outcome("cancelled")
    message = build_message(row)
    try:
        backend = _connection()
    except (smtplib.SMTPException, OSError) as exc:
        _drop_smtp()
        return _release(row, token, f"Cannot connect: {exc}")
    if isinstance(backend, SmtpBackend):
        return _send_smtp(backend, message, row, token)
    return _send_other(backend, message, row, token)


def outbox_fail(*, outbox_id, error: str) -> None:
    """Final failure reported by the task (e.g. an unexpected exception after retries)."""
    OutboxEmail.objects.filter(pk=outbox_id).exclude(status=OutboxEmail.Status.SENT).update(
        status=OutboxEmail.Status.FAILED, last_error=error[:2000]
    )


# --- Queueing ------------------------------------------------------------------------------------
# Up to this many e-mails are queued straight from the committing process; a larger fan-out
# hands chunks of ids to `notifications.dispatch_outbox` so the request does not spend seconds
# publishing thousands of messages.
DIRECT_LIMIT = 50
DISPATCH_CHUNK = 500


def outbox_publish(outbox_ids: list) -> None:
    """Publish one `send_email` task per row over one broker connection."""
    from apps.notifications.tasks import send_email
    from portal.celery import app

    with app.producer_or_acquire() as producer:
        for outbox_id in outbox_ids:
            send_email.apply_async(args=[str(outbox_id)], producer=producer)


def outbox_enqueue(outbox_ids: list) -> None:
    """Queue delivery of these rows. A broker outage loses nothing: the rows stay pending and
    the sweep queues them again."""
    if not outbox_ids:
        return
    from apps.notifications.tasks import dispatch_outbox

    ids = [str(i) for i in outbox_ids]
    try:
        if len(ids) <= DIRECT_LIMIT:
            outbox_publish(ids)
            return
        for start in range(0, len(ids), DISPATCH_CHUNK):
            dispatch_outbox.apply_async(args=[ids[start : start + DISPATCH_CHUNK]])
    except Exception:
        logger.exception("Could not queue %d e-mails; the outbox sweep will.", len(ids))


def outbox_enqueue_on_commit(outbox_ids: list) -> None:
    from django.db import transaction

    if outbox_ids:
        ids = [str(i) for i in outbox_ids]
        transaction.on_commit(lambda: outbox_enqueue(ids))


def outbox_due_ids(*, stale_after: timedelta = STALE_AFTER, grace: timedelta = SWEEP_GRACE):
    """Rows a sweep should queue again: pending past their grace or backoff, or abandoned."""
    now = timezone.now()
    pending = Q(status=OutboxEmail.Status.PENDING) & (
        Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True, created_at__lt=now - grace)
    )
    abandoned = Q(status=OutboxEmail.Status.SENDING, claimed_at__lt=now - stale_after)
    return (
        OutboxEmail.objects.filter(pending | abandoned)
        .order_by("created_at")
        .values_list("pk", flat=True)
    )


def outbox_release_abandoned(*, stale_after: timedelta = STALE_AFTER) -> int:
    """Give claims older than `stale_after` back (their worker died before committing `sent`,
    so the server discarded the message). A holder that was only slow loses its claim token and
    cannot finish, so this never causes a second delivery."""
    cutoff = timezone.now() - stale_after
    return OutboxEmail.objects.filter(
        status=OutboxEmail.Status.SENDING, claimed_at__lt=cutoff
    ).update(status=OutboxEmail.Status.PENDING, claim_token=None, next_attempt_at=None)


def outbox_sweep(
    *, stale_after: timedelta = STALE_AFTER, grace: timedelta = SWEEP_GRACE, limit: int = 5000
) -> int:
    """Queue again whatever the broker may have lost. Returns how many rows were queued."""
    outbox_release_abandoned(stale_after=stale_after)
    ids = list(outbox_due_ids(stale_after=stale_after, grace=grace)[:limit])
    outbox_enqueue(ids)
    return len(ids)
