"""Outbound webhooks: organisation endpoints receive the change feed as the organisation's
service account sees it, signed with HMAC-SHA256 over "{timestamp}.{body}".

Flow: beat runs `webhooks_dispatch` every `WEBHOOK_DISPATCH_SECONDS` (the change feed is
written by database triggers, so no Python hook sees a commit; access lost by the clock kicks
it at once through `apps.changes.hooks.time_ends_recorded`); the dispatcher locks each
active endpoint, turns the feed entries after its cursor into `WebhookDelivery` rows (one per
entry, unique per endpoint) and advances the cursor in the same transaction; after commit one
`webhook_deliver` task per delivery POSTs it. A delivery keeps its id across attempts (the
`Stratum-Delivery` header) and is claimed with a conditional update before each attempt, so
two workers never send it at once; retries back off exponentially. An endpoint failing for
24 hours is disabled and its organisation's admins are told.
"""

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.api.models import WebhookDelivery, WebhookEndpoint
from apps.audit.services import audit_record
from apps.notifications.models import EventType

logger = logging.getLogger("apps.api.webhooks")

SIGNATURE_HEADER = "Stratum-Signature"
DELIVERY_HEADER = "Stratum-Delivery"
EVENT_HEADER = "Stratum-Event"
DISABLE_AFTER = timedelta(hours=24)
MAX_BACKOFF_SECONDS = 3600
CLAIM_LEASE = timedelta(seconds=120)
TIMEOUT_SECONDS = 10
ACTIVE_CACHE_KEY = "api:webhooks:any-active"

# The notification event for "your endpoint was disabled". Notification event types live in
WEBHOOK_DISABLED_EVENT = EventType.WEBHOOK_DISABLED


def retry_base_seconds() -> int:
    return int(getattr(settings, "STRATUM_WEBHOOK_RETRY_BASE_SECONDS", 30))


def allow_insecure() -> bool:
    """Plain-HTTP and loopback receivers, for development and tests only."""
    return bool(getattr(settings, "STRATUM_WEBHOOK_ALLOW_INSECURE", settings.DEBUG))


# --- Signing ---------------------------------------------------------------------------------------
def sign(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, *, tolerance: int = 300, now=None) -> bool:
    """What a receiver does (docs/api.md has the same in ten lines)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((now or time.time()) - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=")[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


# --- Endpoints -------------------------------------------------------------------------------------
def _resolves_to_public(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    addresses = {ipaddress.ip_address(info[4][0]) for info in infos}
    return all(address.is_global for address in addresses)


def validate_endpoint_url(url: str) -> str:
    parts = urlsplit(url)
    if allow_insecure() and parts.scheme in ("http", "https"):
        return url
    if parts.scheme != "https":
        raise ValidationError({"url": "Use an https:// address."})
    if not parts.hostname or not _resolves_to_public(parts.hostname):
        raise ValidationError({"url": "The address must resolve to a public internet host."})
    return url


def _endpoints_changed() -> None:
    transaction.on_commit(lambda: cache.delete(ACTIVE_CACHE_KEY))


@transaction.atomic
def webhook_endpoint_create(*, organisation, actor, url: str, description: str = "", request=None):
    """Register an endpoint (caller checked `manage` on the organisation). It starts at the
    feed's head: it receives changes from now on, not the history. Returns (endpoint, secret);
    the secret is shown once on the page that made it."""
    from apps.api.tokens import service_account_for
    from apps.changes.selectors import cursor_decode, head_cursor

    service_account_for(organisation, actor=actor)
    txid, entry_id = cursor_decode(head_cursor())
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(
        organisation=organisation,
        url=validate_endpoint_url(url),
        description=description,
        secret=secret,
        created_by=actor,
        cursor_txid=txid,
        cursor_id=entry_id,
    )
    endpoint.full_clean()
    endpoint.save()
    audit_record(
        actor=actor,
        action="webhook.create",
        target=endpoint,
        request=request,
        organisation_id=organisation.pk,
        details={"url": endpoint.url},
    )
    _endpoints_changed()
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_set_active(*, endpoint, actor, active: bool, request=None):
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if endpoint.is_active == active:
        return endpoint
    endpoint.is_active = active
    endpoint.failing_since = None
    endpoint.disabled_at = None if active else timezone.now()
    endpoint.disabled_reason = "" if active else "Disabled by an organisation admin."
    if active:
        # Re-enabled endpoints follow from now on; what they missed stays in the change feed.
        from apps.changes.selectors import cursor_decode, head_cursor

        endpoint.cursor_txid, endpoint.cursor_id = cursor_decode(head_cursor())
    endpoint.save()
    audit_record(
        actor=actor,
        action="webhook.enable" if active else "webhook.disable",
        target=endpoint,
        request=request,
        organisation_id=endpoint.organisation_id,
    )
    _endpoints_changed()
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint, actor, request=None) -> None:
    audit_record(
        actor=actor,
        action="webhook.delete",
        target=endpoint,
        request=request,
        organisation_id=endpoint.organisation_id,
        details={"url": endpoint.url},
    )
    endpoint.delete()
    _endpoints_changed()


@transaction.atomic
def webhook_redeliver(*, delivery, actor, request=None) -> WebhookDelivery:
    """A manual redelivery: a new delivery (new id) with the same payload, sent at once."""
    copy = WebhookDelivery.objects.create(
        endpoint=delivery.endpoint,
        event=delivery.event,
        change_entry_id=delivery.change_entry_id,
        redelivery_of=delivery,
        payload=delivery.payload,
    )
    audit_record(
        actor=actor,
        action="webhook.redeliver",
        target=copy,
        request=request,
        organisation_id=delivery.endpoint.organisation_id,
        details={"original": str(delivery.pk)},
    )
    _enqueue_on_commit([copy.pk])
    return copy


PING_EVENT = "ping"


@transaction.atomic
def webhook_ping(*, endpoint, actor, request=None) -> WebhookDelivery:
    """A signed test delivery, sent at once like any other and shown in the endpoint's log, so
    a partner can check their receiver and signature check before real events arrive. It
    carries no data from the feed (nothing the organisation could not already see)."""
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event=PING_EVENT,
        payload={
            "event": PING_EVENT,
            "endpoint": str(endpoint.pk),
            "organisation": str(endpoint.organisation_id),
            "sent_at": timezone.now().isoformat(),
            "message": "A test delivery from Stratum: check its Stratum-Signature header.",
        },
    )
    audit_record(
        actor=actor,
        action="webhook.ping",
        target=delivery,
        request=request,
        organisation_id=endpoint.organisation_id,
    )
    _enqueue_on_commit([delivery.pk])
    return delivery


# --- Dispatch --------------------------------------------------------------------------------------
def webhooks_kick() -> None:
    """Called after a commit that wrote feed entries; cheap when no endpoint is active."""
    active = cache.get(ACTIVE_CACHE_KEY)
    if active is None:
        active = WebhookEndpoint.objects.filter(is_active=True).exists()
        cache.set(ACTIVE_CACHE_KEY, active, 60)
    if active:
        from apps.api.tasks import webhooks_dispatch

        webhooks_dispatch.delay()


def connect_time_ends() -> None:
    """Access lost by the clock is pushed as soon as the beat has recorded it."""
    from apps.changes.hooks import time_ends_recorded

    time_ends_recorded.connect(
        lambda **kwargs: webhooks_kick(), weak=False, dispatch_uid="api-webhooks-time-ends"
    )


def _enqueue_on_commit(delivery_ids) -> None:
    from apps.api.tasks import webhook_deliver

    ids = [str(pk) for pk in delivery_ids]
    transaction.on_commit(lambda: [webhook_deliver.delay(pk) for pk in ids])


def webhooks_dispatch_all(batch: int = 200) -> int:
    created = 0
    for pk in WebhookEndpoint.objects.filter(is_active=True).values_list("pk", flat=True):
        created += webhook_endpoint_dispatch(endpoint_id=pk, batch=batch)
    return created


@transaction.atomic
def webhook_endpoint_dispatch(*, endpoint_id, batch: int = 200) -> int:
    """Turn the feed entries after the endpoint's cursor into deliveries (as the
    organisation's service account sees them) and move the cursor, in one transaction."""
    from apps.api.feed import feed_events
    from apps.api.tokens import service_account_for

    endpoint = (
        WebhookEndpoint.objects.select_for_update(skip_locked=True)
        .select_related("organisation")
        .filter(pk=endpoint_id, is_active=True)
        .first()
    )
    if endpoint is None:
        return 0
    account = service_account_for(endpoint.organisation)
    total = 0
    while True:
        events, cursor = feed_events(account, (endpoint.cursor_txid, endpoint.cursor_id), batch)
        rows = [
            WebhookDelivery(
                endpoint=endpoint,
                event=f"{event['resource']}.{event['op']}",
                change_entry_id=event["entry_id"],
                payload=event["payload"],
            )
            for event in events
        ]
        WebhookDelivery.objects.bulk_create(rows)
        _enqueue_on_commit([row.pk for row in rows])
        total += len(rows)
        if cursor == (endpoint.cursor_txid, endpoint.cursor_id):
            break
        endpoint.cursor_txid, endpoint.cursor_id = cursor
        endpoint.save(update_fields=["cursor_txid", "cursor_id", "updated_at"])
    return total


# --- Delivery --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Attempt:
    sent: bool
    retry_in: int | None = None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def _claim(delivery_id) -> WebhookDelivery | None:
    """Claim the delivery for one attempt: only one worker at a time, and never after it
    was delivered (a redelivered Celery message finds nothing to do)."""
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        pk=delivery_id,
        status=WebhookDelivery.Status.PENDING,
        endpoint__is_active=True,
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + CLAIM_LEASE, last_attempt_at=now)
    if claimed != 1:
        return None
    return WebhookDelivery.objects.select_related("endpoint__organisation").get(pk=delivery_id)


def _post(delivery: WebhookDelivery) -> tuple[int | None, str]:
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    endpoint = delivery.endpoint
    if not allow_insecure():
        validate_endpoint_url(endpoint.url)  # DNS may have changed since registration
    request = urllib.request.Request(  # noqa: S310 (http(s) only, validated above)
        endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Stratum-Webhooks/1",
            SIGNATURE_HEADER: sign(endpoint.secret, int(time.time()), body),
            DELIVERY_HEADER: str(delivery.pk),
            EVENT_HEADER: delivery.event,
        },
    )
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValidationError) as error:
        return None, str(getattr(error, "reason", error))[:500]


def webhook_delivery_attempt(*, delivery_id) -> Attempt:
    delivery = _claim(delivery_id)
    if delivery is None:
        return Attempt(sent=False)
    status_code, error = _post(delivery)
    if status_code is not None and 200 <= status_code < 300:
        _succeeded(delivery, status_code)
        return Attempt(sent=True)
    return _failed(delivery, status_code, error or f"HTTP {status_code}")


@transaction.atomic
def _succeeded(delivery: WebhookDelivery, status_code: int) -> None:
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.DELIVERED,
        last_status_code=status_code,
        last_error="",
        delivered_at=now,
        next_attempt_at=None,
        updated_at=now,
    )
    WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).update(failing_since=None)


@transaction.atomic
def _failed(delivery: WebhookDelivery, status_code, error: str) -> Attempt:
    now = timezone.now()
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    if endpoint.failing_since is None:
        endpoint.failing_since = now
        endpoint.save(update_fields=["failing_since", "updated_at"])
    backoff = min(retry_base_seconds() * 2 ** (delivery.attempts - 1), MAX_BACKOFF_SECONDS)
    give_up = now - endpoint.failing_since >= DISABLE_AFTER
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.FAILED if give_up else WebhookDelivery.Status.PENDING,
        last_status_code=status_code,
        last_error=error,
        next_attempt_at=None if give_up else now + timedelta(seconds=backoff),
        updated_at=now,
    )
    if give_up:
        _disable(endpoint, reason=f"Failing for 24 hours (last error: {error})"[:300])
        return Attempt(sent=False)
    return Attempt(sent=False, retry_in=backoff)


def _disable(endpoint: WebhookEndpoint, *, reason: str) -> None:
    from apps.notifications.services import notification_emit
    from apps.organisations.models import Affiliation

    endpoint.is_active = False
    endpoint.disabled_at = timezone.now()
    endpoint.disabled_reason = reason
    endpoint.save(update_fields=["is_active", "disabled_at", "disabled_reason", "updated_at"])
    WebhookDelivery.objects.filter(endpoint=endpoint, status=WebhookDelivery.Status.PENDING).update(
        status=WebhookDelivery.Status.FAILED, next_attempt_at=None
    )
    audit_record(
        actor=None,
        action="webhook.auto_disable",
        target=endpoint,
        organisation_id=endpoint.organisation_id,
        reason=reason,
    )
    admins = [
        affiliation.user
        for affiliation in Affiliation.objects.current()
        .admins()
        .filter(organisation_id=endpoint.organisation_id)
        .select_related("user")
    ]
    notification_emit(
        event_type=WEBHOOK_DISABLED_EVENT,
        recipients=admins,
        subject=f"Webhook disabled: {endpoint.url}",
        body=f"Deliveries to {endpoint.url} failed for 24 hours, so Stratum stopped sending. "
        "Fix the receiver, then enable the endpoint again on your API tokens page.",
        url="/account/tokens/webhooks/",
    )
    _endpoints_changed()
