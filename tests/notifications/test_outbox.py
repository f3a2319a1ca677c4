"""Delivering outbox rows over real SMTP (an in-process aiosmtpd sink): at least once, marked
sent only after the server accepted the end of data, a duplicate recognisable by its
Message-ID."""

import smtplib
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from apps.notifications import outbox
from apps.notifications.models import Delivery, EventType, NotificationPreference, OutboxEmail
from apps.notifications.services import notification_emit
from apps.projects.models import SummaryVisibility
from tests.notifications.factories import DatasetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp_settings(settings, smtp_sink):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield smtp_sink
    outbox._drop_smtp()


@pytest.fixture
def row(partner_member, project, queued):
    notification_emit(
        event_type=EventType.REQUEST_DECIDED,
        recipients=[partner_member],
        subject="Your request was approved",
        body="You may now download the files.",
        url="/access/",
        target=project,
    )
    return OutboxEmail.objects.get()


def test_sends_text_and_html_with_one_click_unsubscribe(smtp_settings, row):
    assert outbox.outbox_deliver(outbox_id=row.pk).status == "sent"
    ((rcpts, message),) = smtp_settings.messages
    assert rcpts == [row.to_address]
    assert message["Subject"] == "[Stratum] Your request was approved"
    assert (
        message["List-Unsubscribe"].strip().startswith("<http")
        and "/notifications/unsubscribe/" in message["List-Unsubscribe"]
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"].strip() == f"<{row.notification_id}.email@127.0.0.1>"
    parts = {part.get_content_type() for part in message.walk()}
    assert {"text/plain", "text/html"} <= parts
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.SENT and row.attempts == 1


def test_a_second_or_concurrent_delivery_sends_nothing(smtp_settings, row):
    outbox.outbox_deliver(outbox_id=row.pk)
    assert outbox.outbox_deliver(outbox_id=row.pk).status == "skipped"
    assert len(smtp_settings.messages) == 1


def test_a_live_claim_is_not_taken_over(smtp_settings, row):
    assert outbox.outbox_claim(outbox_id=row.pk) is not None
    assert outbox.outbox_deliver(outbox_id=row.pk).status == "skipped"
    assert smtp_settings.messages == []


def test_a_worker_whose_claim_was_taken_over_never_finishes_its_message(
    smtp_settings, row, monkeypatch
):
    """The slow worker has sent the body; meanwhile its claim went to another worker. It finds
    the claim gone, drops the connection before the final dot, and the server discards the
    half-message."""
    real_held = outbox._still_held

    def taken_over(outbox_ids, token):
        OutboxEmail.objects.filter(pk__in=outbox_ids).update(claim_token=None)
        return real_held(outbox_ids, token)

    monkeypatch.setattr(outbox, "_still_held", taken_over)
    assert outbox.outbox_deliver(outbox_id=row.pk).status == "skipped"
    assert smtp_settings.messages == []


class Crash(BaseException):
    """Stands in for SIGKILL at one point of the send."""


def test_a_crash_before_the_end_of_data_loses_nothing_and_the_sweep_sends_it_once(
    smtp_settings, row, monkeypatch
):
    def crash(outbox_ids, token):
        raise Crash

    monkeypatch.setattr(outbox, "_still_held", crash)
    with pytest.raises(Crash):
        outbox.outbox_deliver(outbox_id=row.pk)
    outbox._drop_smtp()  # the dead process's socket closes without the final dot
    monkeypatch.undo()
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.SENDING
    assert smtp_settings.messages == []

    assert outbox.outbox_release_abandoned(stale_after=timedelta(0)) == [row.pk]
    assert outbox.outbox_deliver(outbox_id=row.pk).status == "sent"
    assert len(smtp_settings.messages) == 1


def test_a_crash_after_the_server_accepted_sends_again_with_the_same_message_id(
    smtp_settings, row, monkeypatch
):
    """At least once: the server said 250, the worker died before committing `sent`. The row
    is sent again; the duplicate is the same message to a mail client."""

    def crash(outbox_ids):
        raise Crash

    monkeypatch.setattr(outbox, "_mark_sent", crash)
    with pytest.raises(Crash):
        outbox.outbox_deliver(outbox_id=row.pk)
    monkeypatch.undo()
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.SENDING
    assert len(smtp_settings.messages) == 1

    assert outbox.outbox_release_abandoned(stale_after=timedelta(0)) == [row.pk]
    assert outbox.outbox_deliver(outbox_id=row.pk).status == "sent"
    first, second = (message["Message-ID"].strip() for _rcpts, message in smtp_settings.messages)
    assert first == second == f"<{row.notification_id}.email@127.0.0.1>"
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.SENT and row.attempts == 2


def test_a_lost_reply_to_the_end_of_data_is_sent_again_not_assumed_delivered(
    smtp_settings, row, monkeypatch
):
    def no_reply(smtp):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr(outbox, "_smtp_reply_to_end", no_reply)
    result = outbox.outbox_deliver(outbox_id=row.pk)
    assert result.status == "retry"
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.PENDING
    assert "sending again" in row.last_error


def test_a_temporary_smtp_refusal_backs_off_and_retries(smtp_settings, row):
    smtp_settings.refuse_mail("451 Try again later")
    result = outbox.outbox_deliver(outbox_id=row.pk)
    assert result.status == "retry" and result.retry_in == 30
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.PENDING and row.next_attempt_at is not None
    assert "451" in row.last_error
    # Not claimable before its backoff has passed.
    assert outbox.outbox_deliver(outbox_id=row.pk).status == "skipped"


def test_a_permanent_refusal_fails_the_row(smtp_settings, row):
    smtp_settings.refuse_mail("550 No such user")
    assert outbox.outbox_deliver(outbox_id=row.pk).status == "failed"
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.FAILED


def test_an_unreachable_server_is_retried(settings, row):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # discard port: refused
    settings.EMAIL_TIMEOUT = 2
    assert outbox.outbox_deliver(outbox_id=row.pk).status == "retry"


def test_backoff_grows_and_stays_below_the_visibility_timeout():
    assert [outbox.backoff_seconds(n) for n in range(1, 7)] == [30, 60, 120, 240, 480, 540]


def test_email_is_cancelled_if_the_recipient_lost_sight_of_the_item(
    project, lead_org, partner_member, queued
):
    project.summary_visibility = SummaryVisibility.MEMBERS
    project.save()
    dataset = DatasetFactory(project=project, steward_organisation=lead_org)
    NotificationPreference.objects.create(
        user=partner_member, event_type=EventType.DATASET_PUBLISHED, delivery=Delivery.IMMEDIATE
    )
    notification_emit(
        event_type=EventType.DATASET_PUBLISHED,
        recipients=[partner_member],
        subject="New",
        target=dataset,
    )
    partner_member.affiliations.update(ended_at="2026-01-01T00:00:00Z")
    partner_member.memberships.update(ended_at="2026-01-01T00:00:00Z")
    row = OutboxEmail.objects.get()
    assert outbox.outbox_deliver(outbox_id=row.pk).status == "cancelled"
    assert mail.outbox == []


def test_sweep_requeues_pending_past_grace_and_abandoned_claims(row, queued):
    queued.clear()
    assert outbox.outbox_sweep(grace=timedelta(hours=1)) == 0
    assert outbox.outbox_sweep(grace=timedelta(0)) == 1
    assert queued == [str(row.pk)]
    outbox.outbox_claim(outbox_id=row.pk)
    queued.clear()
    assert outbox.outbox_sweep(grace=timedelta(0)) == 0  # a fresh claim is left alone
    assert outbox.outbox_sweep(stale_after=timedelta(0), grace=timedelta(0)) == 1
    assert queued == [str(row.pk)]


def test_a_row_the_sweep_queued_is_left_to_the_broker_for_a_while(row, queued):
    queued.clear()
    assert outbox.outbox_sweep(grace=timedelta(0)) == 1
    assert outbox.outbox_sweep(grace=timedelta(0)) == 0  # still waiting in the broker
    assert outbox.outbox_sweep(grace=timedelta(0), requeue_after=timedelta(0)) == 1


def test_an_expired_claim_is_queued_again_at_once_whatever_the_grace(row, queued):
    outbox.outbox_claim(outbox_id=row.pk)
    OutboxEmail.objects.filter(pk=row.pk).update(
        claimed_at=timezone.now() - outbox.STALE_AFTER - timedelta(seconds=1)
    )
    queued.clear()
    assert outbox.outbox_sweep(grace=timedelta(hours=1)) == 1
    assert queued == [str(row.pk)]


def test_sweep_outbox_zero_means_every_claim_is_stale(row, queued):
    from apps.notifications.tasks import sweep_outbox

    outbox.outbox_claim(outbox_id=row.pk)  # a claim made just now
    queued.clear()
    assert sweep_outbox.apply(args=[None]).get() == 0  # the default lease has not run out
    assert sweep_outbox.apply(args=[0]).get() == 1
    assert queued == [str(row.pk)]


def test_the_sweep_runs_in_beat_often_enough_to_recover_within_a_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["notifications-sweep-outbox"]
    assert entry["task"] == "notifications.sweep_outbox"
    worst = outbox.STALE_AFTER.total_seconds() + entry["schedule"].total_seconds()
    assert worst <= 50  # the rest of the minute is for sending the batch again


def test_a_renewed_claim_is_not_taken_over(row):
    token = outbox.outbox_claim(outbox_id=row.pk)
    old = timezone.now() - outbox.STALE_AFTER - timedelta(seconds=1)
    OutboxEmail.objects.filter(pk=row.pk).update(claimed_at=old)
    assert outbox.outbox_renew_claims(token) == 1
    assert outbox.outbox_release_abandoned() == []
    row.refresh_from_db()
    assert row.status == OutboxEmail.Status.SENDING and row.claim_token == token


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_renews_claims_while_a_batch_is_under_way(partner_member, project, queued):
    notification_emit(
        event_type=EventType.REQUEST_DECIDED,
        recipients=[partner_member],
        subject="Decided",
        target=project,
    )
    row = OutboxEmail.objects.get()
    token = outbox.outbox_claim(outbox_id=row.pk)
    old = timezone.now() - timedelta(minutes=5)
    OutboxEmail.objects.filter(pk=row.pk).update(claimed_at=old)
    with outbox.claim_heartbeat(token, every=0.05):
        deadline = time.monotonic() + 10
        while OutboxEmail.objects.get(pk=row.pk).claimed_at == old:
            assert time.monotonic() < deadline, "the heartbeat never renewed the claim"
            time.sleep(0.05)
    row.refresh_from_db()
    assert row.claimed_at > timezone.now() - timedelta(seconds=10)


def test_locmem_backend_delivers_once(row):
    assert outbox.outbox_deliver(outbox_id=row.pk).status == "sent"
    assert outbox.outbox_deliver(outbox_id=row.pk).status == "skipped"
    assert len(mail.outbox) == 1
    assert "Open in Stratum: http" in mail.outbox[0].body


def test_send_email_task_is_late_acking_and_rejects_on_worker_loss():
    from apps.notifications.tasks import send_email

    assert send_email.acks_late is True
    assert send_email.reject_on_worker_lost is True
    assert send_email.name == "notifications.send_email"


# --- Batches -------------------------------------------------------------------------------------
@pytest.fixture
def batch(queued):
    from tests.accounts.factories import UserFactory

    people = [UserFactory(email=f"reader{i:02d}@batch.test") for i in range(20)]
    notification_emit(
        event_type=EventType.INVITATION,
        recipients=people,
        subject="You are invited",
        url="/projects/",
    )
    return list(OutboxEmail.objects.order_by("created_at").values_list("pk", flat=True))


def test_a_batch_sends_every_row_once_over_several_connections(smtp_settings, batch):
    outcomes = outbox.outbox_deliver_batch(outbox_ids=batch)
    assert [outcome.status for outcome in outcomes.values()] == ["sent"] * len(batch)
    assert sorted(smtp_settings.recipients()) == sorted(
        OutboxEmail.objects.values_list("to_address", flat=True)
    )
    assert outbox.outbox_deliver_batch(outbox_ids=batch) == {}
    assert len(smtp_settings.messages) == len(batch)
    assert OutboxEmail.objects.exclude(status=OutboxEmail.Status.SENT).count() == 0


def test_a_claim_taken_over_in_a_group_discards_only_that_message(
    smtp_settings, batch, monkeypatch
):
    stolen = batch[1]
    real_held = outbox._still_held

    def take_one_over(outbox_ids, token):
        OutboxEmail.objects.filter(pk=stolen).update(claim_token=None)
        return real_held(outbox_ids, token)

    monkeypatch.setattr(outbox, "_still_held", take_one_over)
    outcomes = outbox.outbox_deliver_batch(outbox_ids=batch)
    assert outcomes[stolen].status == "skipped"
    assert sum(outcome.status == "sent" for outcome in outcomes.values()) == len(batch) - 1
    stolen_address = OutboxEmail.objects.get(pk=stolen).to_address
    assert stolen_address not in smtp_settings.recipients()
    assert len(smtp_settings.messages) == len(batch) - 1


def test_a_crash_before_a_groups_ends_of_data_sends_nothing_of_the_group(
    smtp_settings, batch, monkeypatch
):
    def crash(outbox_ids, token):
        raise Crash

    monkeypatch.setattr(outbox, "_still_held", crash)
    with pytest.raises(Crash):
        outbox.outbox_deliver_batch(outbox_ids=batch)
    monkeypatch.undo()
    assert smtp_settings.messages == []
    assert len(outbox.outbox_release_abandoned(stale_after=timedelta(0))) == len(batch)
    outbox.outbox_deliver_batch(outbox_ids=batch)
    assert len(smtp_settings.messages) == len(batch)


def test_an_unreachable_server_backs_the_whole_batch_off_at_once(settings, batch):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # discard port: refused
    settings.EMAIL_TIMEOUT = 2
    outcomes = outbox.outbox_deliver_batch(outbox_ids=batch)
    assert {outcome.status for outcome in outcomes.values()} == {"retry"}
    assert OutboxEmail.objects.filter(status=OutboxEmail.Status.PENDING).count() == len(batch)


def test_queueing_publishes_one_task_per_batch(monkeypatch):
    from apps.notifications import tasks

    published = []
    monkeypatch.setattr(
        tasks.send_email_batch, "apply_async", lambda args, **kw: published.append(args[0])
    )
    ids = [str(n) for n in range(outbox.SEND_BATCH * 2 + 3)]
    outbox.outbox_publish(ids)
    assert [len(chunk) for chunk in published] == [outbox.SEND_BATCH, outbox.SEND_BATCH, 3]
    assert [i for chunk in published for i in chunk] == ids


def test_a_server_limiting_connections_gets_fewer_and_every_row_is_sent(
    smtp_settings, batch, monkeypatch
):
    monkeypatch.setattr(outbox, "_parallel", [outbox.SMTP_CONNECTIONS])
    real_connection = outbox._connection

    def at_most_three(slot=0):
        if slot >= 3:
            raise ConnectionRefusedError("too many connections from your address")
        return real_connection(slot)

    monkeypatch.setattr(outbox, "_connection", at_most_three)
    outcomes = outbox.outbox_deliver_batch(outbox_ids=batch)
    assert {outcome.status for outcome in outcomes.values()} == {"sent"}
    assert len(smtp_settings.messages) == len(batch)
    assert outbox._parallel[0] == 3


def test_a_connection_the_server_closed_while_idle_is_replaced_not_failed(smtp_settings, batch):
    outbox.outbox_deliver_batch(outbox_ids=batch[:1])
    outbox._smtp_pool[0].connection.sock.close()  # the server timed the idle connection out
    outbox._last_used[0] = 0.0  # idle for long enough to be checked
    assert outbox.outbox_deliver_batch(outbox_ids=batch[1:2])[batch[1]].status == "sent"
    assert len(smtp_settings.messages) == 2
