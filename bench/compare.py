#!/usr/bin/env python
"""Before and after in one sitting: prints figures, asserts nothing.

    .venv/bin/python bench/compare.py <git ref> [--rounds 2] [--duration 10]

Serves the wrk scenarios of bench/run.py and bench/search.py with the code of `<git ref>`
(checked out in a temporary worktree) and with this checkout's, in turn, `--rounds` times,
against the same scale database (bench/run.py's; `--scale`, default l, must be prepared), the
same settings and the same gunicorn. With `--sync`, each code also walks every page of the
persona's datasets (bench/run.py's full sync) from an emptied cache, so every page is a miss. The machine's other load moves every figure; alternating
the two codes in one sitting is what makes the comparison fair. The older code must read the
same database schema (no migration in between).
"""

import argparse
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import run  # noqa: E402  (bench/run.py, next to this file)
import search  # noqa: E402  (bench/search.py)


def scenarios(project_slug: str) -> list[tuple[str, str, str]]:
    """bench/run.py's scenarios, then bench/search.py's (its /healthz is run.py's)."""
    return [*run.scenarios(project_slug), *search.scenarios()[1:]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("ref", help="the code to compare with (a commit, tag or branch)")
    parser.add_argument("--scale", choices=["s", "m", "l"], default="l")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--sync", action="store_true", help="also time a full API sync")
    options = parser.parse_args()
    run.ensure_wrk()
    static, media = tempfile.mkdtemp(), tempfile.mkdtemp()
    env = run.production_env(options.scale, static, media)
    run.sh(run.PYTHON, "manage.py", "collectstatic", "--noinput", "-v0", env=env)
    email = f"bench-{options.scale}@scale.stratum.test"
    token = run.bench_token(env, email)
    headers = run.bench_headers(run.bench_session(env, email), token)
    worktree = Path(tempfile.mkdtemp()) / "before"
    subprocess.run(
        ["git", "worktree", "add", "-q", str(worktree), options.ref], cwd=ROOT, check=True
    )
    figures: dict = {}
    syncs: list = []
    try:
        codes = [(options.ref, worktree), ("this checkout", ROOT)]
        for round_number in range(1, options.rounds + 1):
            for label, root in codes:
                # gunicorn imports `portal` from its working directory, ahead of the
                # editable install of this checkout.
                served = {**env, "PYTHONPATH": str(root)}
                run.ROOT = root
                with run.Server(served, 4, threads=4):
                    for name, path, who in scenarios(f"scale-{options.scale}-0"):
                        run.wrk(path, 2, options.connections, headers[who], timeout=10)
                        result = run.wrk(
                            path, options.duration, options.connections, headers[who], timeout=10
                        )
                        rate = result["requests"] / result["seconds"]
                        figures.setdefault(name, []).append((label, round_number, rate, result))
                        print(f"· {label}, round {round_number}: {name}: {rate:.0f} req/s")
                    if options.sync:
                        empty_cache(env)
                        synced = run.full_sync(token)
                        syncs.append((label, round_number, synced))
                        print(f"· {label}, round {round_number}: sync {synced['per_second']:.0f}/s")
    finally:
        run.ROOT = ROOT
        subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT)
    healthz = {(label, number): rate for label, number, rate, _ in figures.get("/healthz", [])}
    print(f"\nscale {options.scale}, {options.connections} connections, {options.duration} s each")
    print("| scenario | code | round | req/s (vs /healthz) | p95 ms | errors |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for name, rows in figures.items():
        for label, number, rate, result in rows:
            share = rate / healthz[(label, number)] * 100 if healthz.get((label, number)) else 0
            print(
                f"| {name} | {label} | {number} | {rate:.0f} ({share:.0f} %) "
                f"| {result['p95']:.1f} | {result['errors']} |"
            )
    for label, number, synced in syncs:
        print(
            f"| API full sync ({synced['records']} datasets, {synced['pages']} pages, every page "
            f"a miss) | {label} | {number} | {synced['per_second']:.0f} datasets/s | | |"
        )


def empty_cache(env: dict) -> None:
    """Empty the bench's Redis database: the other code's pages must not be served here."""
    url = urllib.parse.urlsplit(env["REDIS_URL"])
    database = url.path.lstrip("/") or "0"
    address = ["-h", url.hostname or "127.0.0.1", "-p", str(url.port or 6379), "-n", database]
    subprocess.run(["redis-cli", *address, "flushdb"], check=True, capture_output=True)


if __name__ == "__main__":
    main()
