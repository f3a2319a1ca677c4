#!/usr/bin/env python
"""Notification fan-out benchmark on the local PostgreSQL and Redis (DESIGN.md §5, issue 6).

    .venv/bin/python bench/fanout.py                     # 10,000 recipients, one worker
    .venv/bin/python bench/fanout.py --recipients 2000 --concurrency 2

1. Builds (once) a consortium of N people who may all see a consortium-tier dataset and want
   "dataset published" e-mailed at once.
2. Emits one event to all of them in one transaction, as a service would: policy filter,
   preferences, in-app rows, outbox rows; then the commit queues one Celery task per e-mail
   on Redis. Prints notifications/second for the transaction and for the queueing.
3. Starts a local SMTP sink and one real `celery worker` (prefork, --concurrency processes)
   and prints e-mails/second until every outbox row is sent and the sink holds exactly N.

Uses its own database (default stratum_fanout_bench, created and migrated when missing) and
Redis database 7, so it never touches the development data.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=1, help="worker pool processes")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/stratum_fanout_bench"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/7")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of results")
    parser.add_argument(
        "--email-sample",
        type=int,
        default=1000,
        help="e-mails to send through the worker after the fan-out (0: skip; -1: all)",
    )
    return parser.parse_args()


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup(args, smtp_port: int) -> None:
    os.environ.update(
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        SMTP_SINK_PORT=str(smtp_port),
        DJANGO_SETTINGS_MODULE="tests.notifications.worker_settings",
    )
    ensure_database(args.database_url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build_world(n: int):
    """A members-only project, one partner organisation with n people, a consortium dataset."""
    from apps.accounts.models import User
    from apps.core.models import AccessTier
    from apps.datasets.models import Dataset, DatasetStatus
    from apps.notifications.models import Delivery, EventType, NotificationPreference
    from apps.organisations.models import Affiliation, Organisation, OrganisationStatus
    from apps.projects.models import Partner, PartnerStatus, Project, ProjectStatus

    org, _ = Organisation.objects.get_or_create(
        slug="fanout-university",
        defaults={
            "name": "Fanout University",
            "kind": "university",
            "country": "GB",
            "status": OrganisationStatus.APPROVED,
        },
    )
    project, _ = Project.objects.get_or_create(
        slug="fanout",
        defaults={
            "title": "Fan-out",
            "acronym": "FANOUT",
            "summary": "Benchmark",
            "status": ProjectStatus.ACTIVE,
            "summary_visibility": "members",
        },
    )
    Partner.objects.get_or_create(
        project=project, organisation=org, defaults={"status": PartnerStatus.ACTIVE}
    )
    dataset, _ = Dataset.objects.get_or_create(
        project=project,
        title="Fan-out cohort",
        defaults={
            "steward_organisation": org,
            "access_tier": AccessTier.CONSORTIUM,
            "status": DatasetStatus.PUBLISHED,
        },
    )
    have = User.objects.filter(email__endswith="@fanout.bench").count()
    if have < n:
        print(f"creating {n - have} people…", flush=True)
        users = User.objects.bulk_create(
            [
                User(email=f"p{i:05d}@fanout.bench", first_name="P", last_name=str(i))
                for i in range(have, n)
            ],
            batch_size=2000,
        )
        Affiliation.objects.bulk_create(
            [Affiliation(user=u, organisation=org) for u in users], batch_size=2000
        )
        NotificationPreference.objects.bulk_create(
            [
                NotificationPreference(
                    user=u, event_type=EventType.DATASET_PUBLISHED, delivery=Delivery.IMMEDIATE
                )
                for u in users
            ],
            batch_size=2000,
        )
    people = list(User.objects.filter(email__endswith="@fanout.bench").order_by("email")[:n])
    return people, dataset


def reset() -> None:
    from apps.notifications.models import Notification, OutboxEmail
    from portal.celery import app

    OutboxEmail.objects.all().delete()
    Notification.objects.all().delete()
    app.control.purge()


def fan_out(people, dataset) -> tuple[float, float]:
    from django.db import transaction

    from apps.notifications import outbox
    from apps.notifications.models import EventType
    from apps.notifications.services import notification_emit

    publish_time = [0.0]
    real_enqueue = outbox.outbox_enqueue

    def timed_enqueue(ids):
        started = time.perf_counter()
        real_enqueue(ids)
        publish_time[0] += time.perf_counter() - started

    outbox.outbox_enqueue = timed_enqueue
    started = time.perf_counter()
    with transaction.atomic():
        rows = notification_emit(
            event_type=EventType.DATASET_PUBLISHED,
            recipients=people,
            subject=f"{dataset.title} is published",
            body="The dataset's files are available to the consortium.",
            url="/datasets/",
            target=dataset,
        )
    total = time.perf_counter() - started
    outbox.outbox_enqueue = real_enqueue
    assert len(rows) == len(people), (len(rows), len(people))
    return total - publish_time[0], publish_time[0]


def send_all(n: int, concurrency: int, sink) -> float:
    from apps.notifications.models import OutboxEmail
    from tests.notifications.worker import Worker

    log = ROOT / "var" / "bench-fanout-worker.log"
    log.parent.mkdir(exist_ok=True)
    worker = Worker(smtp_port=sink.port, log_path=log, concurrency=concurrency, name="bench")
    worker.start()
    from datetime import timedelta

    from apps.notifications.outbox import outbox_sweep

    started = stalled_since = time.perf_counter()
    last = -1
    try:
        while True:
            sent = OutboxEmail.objects.filter(status=OutboxEmail.Status.SENT).count()
            now = time.perf_counter()
            if sent != last:
                rate = sent / (now - started) if now > started else 0
                print(f"\r  sent {sent:>6}/{n}  ({rate:,.1f}/s)", end="", flush=True)
                last, stalled_since = sent, now
            if sent >= n:
                break
            if now - stalled_since > 15:
                # The broker lost messages (e.g. someone flushed the Redis database): do what
                # beat's outbox sweep would do, sooner.
                requeued = outbox_sweep(grace=timedelta(0))
                print(f"\n  no progress for 15 s: the sweep re-queued {requeued}")
                stalled_since = now
            time.sleep(0.5)
        elapsed = time.perf_counter() - started
    finally:
        worker.stop()
    print()
    received = sink.count()
    assert received == n, f"the sink received {received} e-mails for {n} recipients"
    return elapsed


def main() -> None:
    args = parse()
    from tests.notifications.smtp_sink import SmtpSink

    sink = SmtpSink()
    setup(args, sink.port)
    from apps.core.guard import system_reads

    # The benchmark builds its own world and counts what was sent: system reads by name. The
    # fan-out it measures still filters recipients through the access policy.
    with system_reads("benchmark builds and inspects its own fan-out world"):
        run(args, sink)


def run(args, sink) -> None:
    people, dataset = build_world(args.recipients)
    reset()
    n = len(people)
    print(f"fan-out of one event to {n:,} recipients (PostgreSQL + Redis, policy-filtered)")
    write, publish = fan_out(people, dataset)
    print(
        f"  transaction (policy, rows, outbox): {write:6.2f} s  = {n / write:8,.0f} notifications/s"
    )
    print(f"  queueing after commit (dispatch chunks): {publish:6.2f} s")
    print(
        f"  end to end until queued:           {write + publish:6.2f} s  = {n / (write + publish):8,.0f} notifications/s"
    )
    results = {"recipients": n, "notifications_per_s": n / write, "write_s": write}
    if args.email_sample != 0:
        sample = n if args.email_sample < 0 else min(args.email_sample, n)
        if sample < n:
            # Sending 10,000 e-mails through one worker takes minutes: time a fresh fan-out to
            # the first `sample` people end to end instead.
            reset()
            fan_out(people[:sample], dataset)
        sink.start()
        try:
            elapsed = send_all(sample, args.concurrency, sink)
        finally:
            sink.stop()
        print(
            f"  {sample:,} e-mails via SMTP sink, {args.concurrency} worker process(es): "
            f"{elapsed:6.2f} s  = {sample / elapsed:8,.1f} e-mails/s, each exactly once"
        )
        results.update(emails=sample, emails_per_s=sample / elapsed, concurrency=args.concurrency)
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
