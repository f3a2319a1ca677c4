"""One kill -9 run of e-mail delivery, shared by tests/notifications/test_worker_kill.py and
bench/kill_delivery.py.

A fan-out to N people is sent by a real Celery worker (prefork, beat embedded so the outbox
sweep runs on its production schedule) on the real Redis broker to an SMTP sink that accepts a
message only once its end of data has arrived. The worker's whole process group is killed with
SIGKILL after a chosen number of e-mails, a new worker (with beat) is started at once, and the
run waits until every row is sent. Nothing here calls the sweep: recovery is the design's own.
"""

import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from apps.notifications.models import EventType, OutboxEmail
from apps.notifications.services import notification_emit
from tests.notifications.worker import Worker


@dataclass
class KillRun:
    recipients: int
    killed_after: int  # e-mails the sink had accepted when the worker was killed
    sending_at_kill: int  # rows claimed (mid-send) at that moment
    recovered_seconds: float  # from the new worker being ready to every row sent
    received: int  # messages the sink accepted in all
    lost: int  # recipients who received nothing
    duplicates: int  # messages beyond the first per recipient
    duplicates_with_other_message_id: int  # should be 0: a duplicate is the same message


def _wait(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _all_sent() -> bool:
    return not OutboxEmail.objects.exclude(status=OutboxEmail.Status.SENT).exists()


def kill_run(
    *,
    people,
    target,
    sink,
    log_dir: Path,
    kill_after: int,
    timeout: float = 120,
    concurrency: int = 2,
) -> KillRun:
    """Fan out to `people`, kill -9 the worker once the sink holds `kill_after` messages,
    restart it and measure. `sink` must be empty and the outbox clean."""
    from portal.celery import app

    app.control.purge()  # nothing left over from an earlier run on this Redis database
    log = log_dir / "worker.log"
    worker = Worker(smtp_port=sink.port, log_path=log, concurrency=concurrency, beat=True)
    worker.start()
    try:
        with transaction.atomic():
            notification_emit(
                event_type=EventType.REQUEST_DECIDED,
                recipients=people,
                subject="Your access request was decided",
                url="/access/",
                target=target,
            )
        _wait(lambda: sink.count() >= kill_after, timeout)
        worker.kill9()
        killed_after = sink.count()
        sending = OutboxEmail.objects.filter(status=OutboxEmail.Status.SENDING).count()
        worker = Worker(smtp_port=sink.port, log_path=log, concurrency=concurrency, beat=True)
        worker.start()
        ready = time.monotonic()
        _wait(_all_sent, timeout)
        recovered = time.monotonic() - ready
        time.sleep(1)  # let any late (duplicate) delivery arrive before counting
    finally:
        worker.stop()
    return _tally(people, sink, killed_after, sending, recovered)


def _tally(people, sink, killed_after: int, sending: int, recovered: float) -> KillRun:
    ids: dict[str, set[str]] = {}
    per_person: Counter = Counter()
    for rcpts, message in sink.messages:
        for rcpt in rcpts:
            per_person[rcpt] += 1
            ids.setdefault(rcpt, set()).add(message["Message-ID"].strip())
    expected = {person.email for person in people}
    return KillRun(
        recipients=len(expected),
        killed_after=killed_after,
        sending_at_kill=sending,
        recovered_seconds=round(recovered, 1),
        received=sum(per_person.values()),
        lost=len(expected - set(per_person)),
        duplicates=sum(n - 1 for n in per_person.values() if n > 1),
        duplicates_with_other_message_id=sum(len(v) - 1 for v in ids.values() if len(v) > 1),
    )
