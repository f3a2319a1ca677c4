#!/usr/bin/env python
"""E-mail delivery across kill -9: 20 runs of a fan-out to 500 people (issue 21, acceptance 4).

    .venv/bin/python bench/kill_delivery.py --redis-url redis://127.0.0.1:6387/6
    .venv/bin/python bench/kill_delivery.py --runs 5 --recipients 200 --seed 7

Each run (tests/notifications/kill_run.py): one event fanned out to N people in one
transaction; a real Celery worker (prefork, 2 processes, beat embedded so the outbox sweep runs
on its production 15 s schedule) sends through the real Redis broker to an SMTP sink
(aiosmtpd) that accepts a message only when its end of data has arrived; the worker's whole
process group gets SIGKILL once the sink holds a random number of messages (0 … N-10); a new
worker with beat starts at once; the run ends when every outbox row is `sent`. Nothing calls
the sweep by hand.

Prints per run: e-mails before the kill, rows mid-send at the kill, seconds from the new
worker being ready to every row sent, messages received, recipients lost, duplicates (and
whether every duplicate had the original's Message-ID). Exits 1 if any run lost an e-mail,
took over 60 s, or had a duplicate with another Message-ID.

Uses its own database (default stratum_kill_bench, created and migrated when missing).
"""

import argparse
import json
import random
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fanout import build_world, reset, setup  # noqa: E402


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--recipients", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=2, help="worker pool processes")
    parser.add_argument("--seed", type=int, default=None, help="for repeatable kill moments")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/stratum_kill_bench"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/7")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of results")
    return parser.parse_args()


def main() -> int:
    args = parse()
    from tests.notifications.smtp_sink import SmtpSink

    setup(args, smtp_port=0)  # each run starts its own sink; the worker is told its port
    from tests.notifications.kill_run import kill_run

    people, dataset = build_world(args.recipients)
    rng = random.Random(args.seed)
    results = []
    print(
        f"{args.runs} runs, {args.recipients} recipients, worker --concurrency="
        f"{args.concurrency}, kill -9 after a random number of e-mails",
        flush=True,
    )
    print("run  killed_after  mid_send  recovered_s  received  lost  duplicates  other_id")
    for number in range(1, args.runs + 1):
        reset()
        sink = SmtpSink()
        sink.start()
        try:
            with tempfile.TemporaryDirectory() as log_dir:
                run = kill_run(
                    people=people,
                    target=dataset,
                    sink=sink,
                    log_dir=Path(log_dir),
                    kill_after=rng.randint(0, args.recipients - 10),
                    concurrency=args.concurrency,
                )
        finally:
            sink.stop()
        results.append(run)
        print(
            f"{number:>3}  {run.killed_after:>12}  {run.sending_at_kill:>8}  "
            f"{run.recovered_seconds:>11}  {run.received:>8}  {run.lost:>4}  "
            f"{run.duplicates:>10}  {run.duplicates_with_other_message_id:>8}",
            flush=True,
        )
    recovered = [r.recovered_seconds for r in results]
    summary = {
        "runs": len(results),
        "recipients": args.recipients,
        "lost": sum(r.lost for r in results),
        "duplicates": sum(r.duplicates for r in results),
        "runs_with_duplicates": sum(1 for r in results if r.duplicates),
        "duplicates_with_other_message_id": sum(
            r.duplicates_with_other_message_id for r in results
        ),
        "recovered_seconds_max": max(recovered),
        "recovered_seconds_median": sorted(recovered)[len(recovered) // 2],
        "runs_over_60_s": sum(1 for s in recovered if s > 60),
    }
    print(
        f"lost {summary['lost']} in {summary['runs']} runs; {summary['duplicates']} duplicates "
        f"in {summary['runs_with_duplicates']} runs ({summary['duplicates_with_other_message_id']}"
        f" with another Message-ID); recovery after restart: median "
        f"{summary['recovered_seconds_median']} s, max {summary['recovered_seconds_max']} s, "
        f"{summary['runs_over_60_s']} runs over 60 s"
    )
    if args.json:
        print(json.dumps({"summary": summary, "runs": [asdict(r) for r in results]}))
    failed = summary["lost"] or summary["runs_over_60_s"]
    return 1 if failed or summary["duplicates_with_other_message_id"] else 0


if __name__ == "__main__":
    started = time.monotonic()
    code = main()
    print(f"total {time.monotonic() - started:.0f} s")
    sys.exit(code)
