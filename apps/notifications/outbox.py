"""Delivering the e-mail outbox: claim a row, send it once, record the outcome.

The outbox table is the truth and the broker only a hint: a task message says "look at row X
now", the sweep says the same for anything left pending, and every path goes through one
conditional claim, so duplicate messages are harmless.

Row life:  pending ──claim──▶ sending ──(commit "sent")──▶ sent
              ▲                  │ SMTP error before the end of the message
              └──── backoff ─────┘ (after MAX_ATTEMPTS: failed)

Delivery semantics — at least once. Exactly once cannot be promised over SMTP: between the
server accepting a message (its "250" to the end of data) and our commit of `sent`, a process
can die (kill -9, OOM, a lost node), and then nobody knows whether the message arrived. We
choose to send again rather than to lose it:

* the worker sends the envelope, the body and the terminating "<CRLF>.<CRLF>", reads the
  server's reply, and only a "250" makes it commit `sent`;
* death before the terminating dot: the server discards the half message (RFC 5321 §4.1.1.4);
  the row is still `sending` and is sent again once its claim expires → one delivery;
* death after the dot but before the commit: the server has the message and the row is still
  `sending`, so it is sent again → a duplicate. It carries the same `Message-ID` (derived from
  the notification and the channel, see `message_id`), so a mail client recognises it and
  threads it with the original;
* a lost or unreadable reply to the dot: ambiguous, so the row goes back to pending with
  backoff (a possible duplicate, never a loss); an explicit refusal (4xx) is retried, a 5xx
  fails the row.

Claims are leases. A claim lasts STALE_AFTER (30 s) unless renewed: while a batch is being
sent, a heartbeat thread renews its claims every HEARTBEAT_SECONDS, so a live worker keeps its
rows however long the batch takes, and a killed one's claims expire 30 s after its last beat.
The sweep (beat, every 15 s) gives expired claims back and re-queues them: a worker killed
mid-batch is recovered within about 45 s of any worker and beat being alive (docs/celery.md).

Batches. A task claims up to SEND_BATCH rows at once (one token), asks the policy once per
distinct target, and sends them in groups of SMTP_CONNECTIONS side by side, one message per
kept-open connection: every body of the group, then a check that the claims are still held
(a worker whose claim was taken over drops its connections, and the server discards the
bodies), then every terminating dot, every reply, and one commit marking the accepted rows
`sent`.

Other backends (console, file, locmem) hand the message over first and commit `sent` after.
"""

import contextlib
import logging
import re
import smtplib
import socket
import time
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
from apps.notifications.digest_content import digest_recheck, is_digest
from apps.notifications.links import absolute, unsubscribe_url
from apps.notifications.models import EventType, OutboxEmail
from apps.notifications.tokens import DIGEST

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# A claim not renewed for this long belongs to a dead worker. A live one renews its claims
# every HEARTBEAT_SECONDS while it sends, so this only has to cover a few missed beats (a
# database hiccup), not the longest a task may run.
STALE_AFTER = timedelta(seconds=30)
HEARTBEAT_SECONDS = 8
# New rows get this long for their on-commit message before the sweep treats them as lost.
SWEEP_GRACE = timedelta(seconds=30)
# A pending row the sweep queued is not queued again for this long: in a large fan-out still
# waiting in the broker, a sweep every 15 s would otherwise publish the same ids again and again.
REQUEUE_AFTER = timedelta(minutes=5)
# The retry task may arrive a little before `next_attempt_at` (clock differences).
CLOCK_SLACK = timedelta(seconds=5)


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


def outbox_claim_batch(*, outbox_ids, stale_after: timedelta = STALE_AFTER) -> uuid.UUID | None:
    """Claim every claimable row among `outbox_ids` with one token, in one committed
    conditional UPDATE; None when none was claimable. Rows another worker holds are left out."""
    now = timezone.now()
    token = uuid.uuid4()
    claimed = OutboxEmail.objects.filter(claimable_q(now, stale_after), pk__in=outbox_ids).update(
        status=OutboxEmail.Status.SENDING,
        claim_token=token,
        claimed_at=now,
        attempts=F("attempts") + 1,
        next_attempt_at=None,
    )
    return token if claimed else None


def outbox_claim(*, outbox_id, stale_after: timedelta = STALE_AFTER) -> uuid.UUID | None:
    """Claim the row for this worker (a committed conditional UPDATE); None if not claimable."""
    return outbox_claim_batch(outbox_ids=[outbox_id], stale_after=stale_after)


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


def message_id(delivery_key: str, host: str) -> str:
    """`<<notification id>.email@host>` from the delivery key `notification:<id>:email` (a
    digest: `<digest.<person>.<date>@host>`): the same for every attempt at the same e-mail.
    Kept short so that the header is not folded."""
    key = delivery_key.removeprefix("notification:")
    local = re.sub(r"[^A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]", ".", key)
    return f"<{local}@{host}>"


def build_message(row: OutboxEmail) -> EmailMultiAlternatives:
    unsubscribe = unsubscribe_url(user_id=row.recipient_id, scope=_scope(row))
    text, html = _rendered_bodies(row, unsubscribe)
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "stratum"
    headers = {
        # RFC 2369 and RFC 8058: mail clients offer a one-click unsubscribe button.
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        # Stable per notification and channel: a duplicate (at-least-once) is recognisable
        # as the same message and threads with the original.
        "Message-ID": message_id(row.delivery_key, host),
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
# Open SMTP connections of this worker process, by slot, kept open between tasks. A batch sends
# up to this many messages side by side, one per connection, so that one commit marks them all
# `sent` between their bodies and their ends of data (one database round trip and one WAL flush
# per group instead of per message). Stay below the relay's per-client connection limit.
SMTP_CONNECTIONS = getattr(settings, "STRATUM_SMTP_CONNECTIONS", 8)
# A connection idle longer than this may have been closed by the server (Postfix: 300 s): it
# is checked with NOOP before use, so a stale one costs a reconnect rather than a failed row.
IDLE_CHECK_SECONDS = 30
_smtp_pool: dict[int, SmtpBackend] = {}
_last_used: dict[int, float] = {}
# How many connections the server has let this process open; lowered when it refuses more.
_parallel = [SMTP_CONNECTIONS]


def _alive(backend: SmtpBackend, slot: int) -> bool:
    idle = time.monotonic() - _last_used.get(slot, 0.0)
    if idle < IDLE_CHECK_SECONDS:
        return True
    try:
        return backend.connection.noop()[0] == 250
    except (smtplib.SMTPException, OSError):
        return False


def _connection(slot: int = 0):
    """The open SMTP backend in `slot` (opened when needed), or a fresh non-SMTP backend."""
    backend = get_connection(fail_silently=False)
    if not isinstance(backend, SmtpBackend):
        return backend
    current = _smtp_pool.get(slot)
    if current is not None and current.connection is not None and not _alive(current, slot):
        _drop_smtp(slot)
        current = None
    _last_used[slot] = time.monotonic()
    if current is None or current.connection is None:
        backend.open()
        # The end of data is written separately after the commit; without TCP_NODELAY, Nagle's
        # algorithm would hold that small write back until the body's ACK (tens of ms each).
        sock = getattr(backend.connection, "sock", None)
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _smtp_pool[slot] = current = backend
    return current


def _drop_smtp(slot: int | None = None) -> None:
    """Close without QUIT niceties (one slot, or all): a half-sent message must be discarded
    by the server."""
    slots = list(_smtp_pool) if slot is None else [slot]
    for each in slots:
        backend = _smtp_pool.pop(each, None)
        if backend is not None and backend.connection is not None:
            with contextlib.suppress(OSError):
                backend.connection.close()
            backend.connection = None


@dataclass
class _UnderWay:
    """One message on its own connection, between its envelope and its end of data."""

    slot: int
    row: OutboxEmail
    smtp: smtplib.SMTP
    commands: list[tuple[str, str, tuple[int, ...]]]  # (verb, argument, accepted codes)
    data: bytes


def _under_way(slot: int, row: OutboxEmail, smtp: smtplib.SMTP, message) -> _UnderWay:
    encoding = message.encoding or settings.DEFAULT_CHARSET
    sender = sanitize_address(message.from_email, encoding)
    recipients = [sanitize_address(addr, encoding) for addr in message.recipients()]
    commands = [("mail", f"FROM:{smtplib.quoteaddr(sender)}", (250,))]
    commands += [("rcpt", f"TO:{smtplib.quoteaddr(r)}", (250, 251)) for r in recipients]
    commands.append(("data", "", (354,)))
    body = re.sub(rb"(?m)^\.", b"..", message.message().as_bytes(linesep="\r\n"))
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return _UnderWay(slot, row, smtp, commands, body)


def _refusal(verb: str, argument: str, code: int, reply: bytes) -> smtplib.SMTPException:
    address = argument.split(":", 1)[-1].strip("<>")  # "FROM:<a@b>" -> "a@b"
    if verb == "mail":
        return smtplib.SMTPSenderRefused(code, reply, address)
    if verb == "rcpt":
        return smtplib.SMTPRecipientsRefused({address: (code, reply)})
    return smtplib.SMTPDataError(code, reply)


def _smtp_begin_all(messages: list[_UnderWay], token, outcomes: dict) -> list[_UnderWay]:
    """Envelope, DATA and the whole body on every connection, but not the terminating dot:
    until the dot arrives, a server discards the message if its connection drops. Each
    command goes out on every connection before any reply is read, so a group waits one round
    trip per step rather than one per message. Returns the messages whose body went out."""
    going = list(messages)
    for step in range(max((len(m.commands) for m in going), default=0)):
        sent = []
        for message in going:
            if step >= len(message.commands):
                sent.append(message)
                continue
            verb, argument, _ = message.commands[step]
            try:
                message.smtp.putcmd(verb, argument)
            except (smtplib.SMTPException, OSError) as exc:
                _drop_smtp(message.slot)
                outcomes[message.row.pk] = _refusal_outcome(message.row, token, exc)
            else:
                sent.append(message)
        going = []
        for message in sent:
            if step >= len(message.commands):
                going.append(message)
                continue
            verb, argument, accepted = message.commands[step]
            try:
                code, reply = message.smtp.getreply()
                if code not in accepted:
                    message.smtp.rset()  # the connection stays usable for the next message
                    raise _refusal(verb, argument, code, reply)
            except (smtplib.SMTPException, OSError) as exc:
                if not isinstance(exc, REFUSALS):
                    _drop_smtp(message.slot)
                outcomes[message.row.pk] = _refusal_outcome(message.row, token, exc)
            else:
                going.append(message)
    begun = []
    for message in going:
        try:
            message.smtp.send(message.data)
        except (smtplib.SMTPException, OSError) as exc:
            _drop_smtp(message.slot)
            outcomes[message.row.pk] = _refusal_outcome(message.row, token, exc)
        else:
            begun.append(message)
    return begun


def _smtp_reply_to_end(smtp: smtplib.SMTP) -> None:
    code, reply = smtp.getreply()
    if code != 250:
        raise smtplib.SMTPDataError(code, reply)


def _still_held(outbox_ids: list, token) -> set:
    """The rows among `outbox_ids` this worker still holds (claim not taken over)."""
    return set(
        OutboxEmail.objects.filter(
            pk__in=outbox_ids, status=OutboxEmail.Status.SENDING, claim_token=token
        ).values_list("pk", flat=True)
    )


def _mark_sent(outbox_ids: list) -> None:
    """Commit `sent` for rows the server accepted. Not conditional on the claim: the server has
    the message, whoever holds the row now (a worker that took over a slow claim may send a
    duplicate, which is the at-least-once price, but the row must not be sent a third time)."""
    if outbox_ids:
        OutboxEmail.objects.filter(pk__in=outbox_ids).exclude(
            status=OutboxEmail.Status.SENT
        ).update(
            status=OutboxEmail.Status.SENT,
            sent_at=timezone.now(),
            last_error="",
            claim_token=None,
        )


# The server answered "no" (and RSET followed): nothing is half-sent on the connection.
REFUSALS = (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused)


def _refusal_outcome(row, token, exc) -> Outcome:
    permanent = isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500
    return _release(row, token, f"{type(exc).__name__}: {exc}", permanent=permanent)


def _begin_group(rows: list[OutboxEmail], token, outcomes: dict) -> tuple[list, list]:
    """Start each row's message on its own connection. Returns (messages under way, rows not
    started because the server would not open another connection: they go in a later group).
    Rows that fail get their outcome in `outcomes`; when not even the first connection opens,
    the whole group is given back with backoff."""
    messages: list[_UnderWay] = []
    for slot, row in enumerate(rows):
        try:
            message = build_message(row)
        except Exception as exc:
            logger.exception("E-mail %s could not be built", row.delivery_key)
            outcomes[row.pk] = _release(row, token, f"Cannot build the message: {exc}")
            continue
        try:
            smtp = _connection(slot).connection
            smtp.ehlo_or_helo_if_needed()
        except (smtplib.SMTPException, OSError) as exc:
            _drop_smtp(slot)
            if slot > 0:
                # The server limits connections per client: use fewer from now on.
                _parallel[0] = slot
                logger.info("SMTP server refused connection %d: %s", slot + 1, exc)
                return _smtp_begin_all(messages, token, outcomes), rows[slot:]
            for left in rows[slot:]:
                outcomes[left.pk] = _release(left, token, f"Cannot connect: {exc}")
            break
        messages.append(_under_way(slot, row, smtp, message))
    return _smtp_begin_all(messages, token, outcomes), []


def _send_smtp_group(rows: list[OutboxEmail], token) -> tuple[dict, list]:
    """Send up to SMTP_CONNECTIONS rows side by side: each body on its own connection, a check
    that the claims are still held, each end of data, each reply, then one commit marking the
    accepted rows `sent`. Returns (outcomes, rows not started)."""
    outcomes: dict = {}
    try:
        begun, unstarted = _begin_group(rows, token, outcomes)
        held = _still_held([m.row.pk for m in begun], token) if begun else set()
    except BaseException:
        # No end of data went out: drop every half-sent message (the server discards it).
        _drop_smtp()
        raise
    ended: list[_UnderWay] = []
    for message in begun:
        if message.row.pk not in held:
            _drop_smtp(message.slot)  # the claim was taken over: the server discards the body
            outcomes[message.row.pk] = Outcome("skipped")
            continue
        try:
            message.smtp.send(b".\r\n")
        except (smtplib.SMTPException, OSError) as exc:
            _drop_smtp(message.slot)
            outcomes[message.row.pk] = _after_dot_error(message.row, token, exc)
        else:
            ended.append(message)
    accepted = []
    for message in ended:
        try:
            _smtp_reply_to_end(message.smtp)
        except (smtplib.SMTPException, OSError) as exc:
            if not isinstance(exc, smtplib.SMTPResponseException):
                _drop_smtp(message.slot)
            outcomes[message.row.pk] = _after_dot_error(message.row, token, exc)
        else:
            accepted.append(message.row.pk)
            outcomes[message.row.pk] = Outcome("sent")
    # A death before this commit leaves accepted rows `sending`: they are sent again once their
    # claim expires (a duplicate with the same Message-ID, never a loss).
    _mark_sent(accepted)
    return outcomes, unstarted


def _after_dot_error(row, token, exc) -> Outcome:
    """No "250" came back for the end of data. A refusal means nothing arrived: retry (4xx) or
    fail (5xx). A lost reply is ambiguous: retry too, accepting a possible duplicate rather
    than risking a loss."""
    if isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 400:
        return _release(row, token, f"{exc.smtp_code} {exc}", permanent=exc.smtp_code >= 500)
    logger.warning(
        "E-mail %s: no reply to end of data (%s); will send again", row.delivery_key, exc
    )
    return _release(row, token, f"No reply to end of data, sending again: {exc}")


def _send_other(backend, message, row, token) -> Outcome:
    if not _still_held([row.pk], token):
        return Outcome("skipped")  # another worker took the row over
    try:
        backend.send_messages([message])
    except Exception as exc:
        return _release(row, token, f"{type(exc).__name__}: {exc}")
    _mark_sent([row.pk])
    return Outcome("sent")


def _visible_rows(rows: list[OutboxEmail]) -> tuple[list, list]:
    """Re-ask the policy at send time: access may have gone since the event (a revoked grant,
    a left organisation). One policy statement per distinct target in the batch, not per row.
    Returns (rows still visible to their recipient, rows to cancel)."""
    from apps.notifications.audience import who_may_see

    # A digest gathers many notifications: each is asked again, and the e-mail re-rendered
    # without those its recipient may no longer see (cancelled when none is left).
    visible, hidden = digest_recheck([row for row in rows if is_digest(row)])
    rows = [row for row in rows if not is_digest(row)]
    by_target: dict[tuple, list[OutboxEmail]] = {}
    for row in rows:
        notification = row.notification
        if notification is None or not notification.target_type:
            (visible if row.recipient.is_active else hidden).append(row)
        else:
            key = (notification.target_type, notification.target_id)
            by_target.setdefault(key, []).append(row)
    for (target_type, target_id), group in by_target.items():
        target = target_of(target_type, target_id)
        allowed = (
            {user.pk for user in who_may_see([row.recipient for row in group], target)}
            if target is not None
            else set()
        )
        for row in group:
            (visible if row.recipient_id in allowed else hidden).append(row)
    return visible, hidden


def _cancel(rows: list[OutboxEmail], token) -> None:
    OutboxEmail.objects.filter(
        pk__in=[row.pk for row in rows], status=OutboxEmail.Status.SENDING, claim_token=token
    ).update(status=OutboxEmail.Status.CANCELLED, last_error="The recipient can no longer see it.")


def _send_claimed(rows: list[OutboxEmail], token) -> dict:
    """Send claimed rows: over SMTP in groups side by side on the process's reused
    connections, each group committed once before its ends of data (see the module
    docstring); other backends (console, file, locmem) one by one. When the server cannot be
    reached, the rows left are given back with backoff without trying each."""
    try:
        backend = _connection()
    except (smtplib.SMTPException, OSError) as exc:
        _drop_smtp()
        return {row.pk: _release(row, token, f"Cannot connect: {exc}") for row in rows}
    if not isinstance(backend, SmtpBackend):
        return {row.pk: _send_other(backend, build_message(row), row, token) for row in rows}
    outcomes: dict = {}
    waiting = list(rows)
    while waiting:
        group, waiting = waiting[: _parallel[0]], waiting[_parallel[0] :]
        group_outcomes, unstarted = _send_smtp_group(group, token)
        outcomes.update(group_outcomes)
        waiting = unstarted + waiting
        if not _smtp_pool:
            # Not one connection is open after the group: the server is down or refuses us.
            # Give the rest back with backoff instead of waiting for a timeout per row.
            for left in waiting:
                outcomes[left.pk] = _release(left, token, "The SMTP server could not be reached.")
            break
    return outcomes


def outbox_renew_claims(token) -> int:
    """Renew the lease on every row still claimed under `token` (the heartbeat). Rows another
    transaction holds locked at this moment (being marked sent) are skipped, not waited for."""
    from django.db import connection, transaction
    from django.db.models import Subquery

    mine = OutboxEmail.objects.filter(status=OutboxEmail.Status.SENDING, claim_token=token)
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            mine = OutboxEmail.objects.filter(
                pk__in=Subquery(mine.select_for_update(skip_locked=True).values("pk"))
            )
        return mine.update(claimed_at=timezone.now())


@contextlib.contextmanager
def claim_heartbeat(token, every: float = HEARTBEAT_SECONDS):
    """Renew the claims of `token` every `every` seconds in a background thread while the block
    runs. The thread dies with the process, so a killed worker's claims expire STALE_AFTER after
    its last beat; a live one keeps its rows however long its SMTP server is slow."""
    import threading

    from django.db import connection

    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(every):
                try:
                    outbox_renew_claims(token)
                except Exception:
                    logger.exception("Could not renew e-mail claims %s", token)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"outbox-heartbeat-{token}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def outbox_deliver_batch(*, outbox_ids, stale_after: timedelta = STALE_AFTER) -> dict:
    """Claim and send a batch of outbox rows: {row id: Outcome} for the rows this call claimed
    (rows held elsewhere or already sent are left out). Safe to call any number of times,
    concurrently, with overlapping ids: the claim decides who sends each row, and a heartbeat
    keeps the claims alive while the batch is under way."""
    token = outbox_claim_batch(outbox_ids=outbox_ids, stale_after=stale_after)
    if token is None:
        return {}
    with claim_heartbeat(token):
        return _deliver_claimed(outbox_ids, token)


def _deliver_claimed(outbox_ids, token) -> dict:
    rows = list(
        OutboxEmail.objects.filter(
            pk__in=outbox_ids, status=OutboxEmail.Status.SENDING, claim_token=token
        )
        .select_related("recipient", "notification")
        .order_by("created_at", "pk")
    )
    visible, hidden = _visible_rows(rows)
    _cancel(hidden, token)
    outcomes = {row.pk: Outcome("cancelled") for row in hidden}
    outcomes.update(_send_claimed(visible, token))
    return outcomes


def outbox_deliver(*, outbox_id, stale_after: timedelta = STALE_AFTER) -> Outcome:
    """Claim and send one outbox row. Safe to call any number of times, concurrently."""
    outcomes = outbox_deliver_batch(outbox_ids=[outbox_id], stale_after=stale_after)
    return next(iter(outcomes.values()), Outcome("skipped"))


def outbox_fail(*, outbox_id, error: str) -> None:
    """Final failure reported by the task (e.g. an unexpected exception after retries)."""
    OutboxEmail.objects.filter(pk=outbox_id).exclude(status=OutboxEmail.Status.SENT).update(
        status=OutboxEmail.Status.FAILED, last_error=error[:2000]
    )


# --- Queueing ------------------------------------------------------------------------------------
# Rows travel to the worker in batches: one task claims, policy-checks and sends up to
# SEND_BATCH rows over one SMTP connection. Up to DIRECT_LIMIT ids are published straight from
# the committing process; a larger fan-out hands chunks of DISPATCH_CHUNK ids to
# `notifications.dispatch_outbox`, so the request does not spend its time publishing.
SEND_BATCH = 100
DIRECT_LIMIT = 500
DISPATCH_CHUNK = 5000


def outbox_publish(outbox_ids: list) -> None:
    """Publish one `send_email_batch` task per SEND_BATCH rows over one broker connection."""
    from apps.notifications.tasks import send_email_batch
    from portal.celery import app

    ids = [str(i) for i in outbox_ids]
    with app.producer_or_acquire() as producer:
        for start in range(0, len(ids), SEND_BATCH):
            send_email_batch.apply_async(args=[ids[start : start + SEND_BATCH]], producer=producer)


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


def outbox_due_ids(
    *,
    grace: timedelta = SWEEP_GRACE,
    requeue_after: timedelta = REQUEUE_AFTER,
):
    """Pending rows a sweep should queue again: past their grace (the on-commit message may
    still be on its way) or backoff, and not queued by a sweep within `requeue_after`."""
    now = timezone.now()
    not_queued_lately = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - requeue_after)
    fresh = Q(next_attempt_at__isnull=True, created_at__lt=now - grace) & not_queued_lately
    # A retry whose backoff has passed and that no sweep queued since (its claimed_at is the
    # failed attempt's claim, before next_attempt_at): its retry message may have died with
    # the worker holding it.
    retry = Q(next_attempt_at__lte=now) & (
        not_queued_lately | Q(claimed_at__lt=F("next_attempt_at"))
    )
    due = fresh | retry
    return (
        OutboxEmail.objects.filter(due, status=OutboxEmail.Status.PENDING)
        .order_by("created_at")
        .values_list("pk", flat=True)
    )


def outbox_release_abandoned(*, stale_after: timedelta = STALE_AFTER) -> list:
    """Give back claims whose lease expired (their worker died: its heartbeat stopped) and
    return their ids. A holder that was only slow loses its claim token: it drops its
    connections before the end of data, unless the server already accepted the message, in
    which case the row may be sent twice (at least once, docs/celery.md)."""
    from django.db import transaction

    cutoff = timezone.now() - stale_after
    with transaction.atomic():
        abandoned = list(
            OutboxEmail.objects.filter(status=OutboxEmail.Status.SENDING, claimed_at__lt=cutoff)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        OutboxEmail.objects.filter(pk__in=abandoned).update(
            status=OutboxEmail.Status.PENDING, claim_token=None, next_attempt_at=None
        )
    return abandoned


def outbox_sweep(
    *,
    stale_after: timedelta = STALE_AFTER,
    grace: timedelta = SWEEP_GRACE,
    requeue_after: timedelta = REQUEUE_AFTER,
    limit: int = 5000,
) -> int:
    """Queue again whatever the broker may have lost or a dead worker abandoned: expired claims
    at once, pending rows past their grace. Returns how many rows were queued."""
    released = outbox_release_abandoned(stale_after=stale_after)
    ids = list(
        dict.fromkeys(
            released + list(outbox_due_ids(grace=grace, requeue_after=requeue_after)[:limit])
        )
    )
    if ids:
        # Marks when they were queued (claimed_at is overwritten by the next claim), so the next
        # sweeps leave them to the broker for `requeue_after`.
        OutboxEmail.objects.filter(pk__in=ids, status=OutboxEmail.Status.PENDING).update(
            claimed_at=timezone.now()
        )
    outbox_enqueue(ids)
    return len(ids)
