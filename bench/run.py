#!/usr/bin/env python
"""Stratum benchmark: scale data on PostgreSQL, gunicorn with production settings, load from wrk.

    make bench                                  # scale s, 10 s per scenario
    .venv/bin/python bench/run.py --scale l --duration 30 --record

Prints one table: scenario, requests/s, p50/p95/p99 latency, errors, peak RSS of the server
processes and each scenario's throughput relative to /healthz in the same run. `--record`
appends the table with machine details to docs/benchmarks.md. Needs PostgreSQL and Redis on
127.0.0.1 and Debian's `wrk` (installed with apt-get when missing and running as root).
"""

import argparse
import json
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
PORT = int(os.environ.get("BENCH_PORT", "8765"))
BASE = f"http://127.0.0.1:{PORT}"


def sh(*args, env=None, check=True, capture=True) -> str:
    result = subprocess.run(args, cwd=ROOT, env=env, check=check, text=True, capture_output=capture)
    return result.stdout if capture else ""


def production_env(scale: str, static_root: str) -> dict:
    database = os.environ.get(
        "BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/stratum_bench_{scale}"
    )
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database,
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"),
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "STATIC_ROOT": static_root,
        "LOG_LEVEL": "WARNING",
        "EMAIL_URL": "dummymail://",
    }


def ensure_database(env: dict) -> None:
    name = env["DATABASE_URL"].rsplit("/", 1)[1]
    exists = sh(
        "psql",
        "-h",
        "127.0.0.1",
        "-U",
        "postgres",
        "-tAc",
        f"SELECT 1 FROM pg_database WHERE datname='{name}'",
    ).strip()
    if not exists:
        sh("psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", f'CREATE DATABASE "{name}"')


def prepare(scale: str, env: dict) -> None:
    ensure_database(env)
    manage = [PYTHON, "manage.py"]
    print("· migrating", flush=True)
    sh(*manage, "migrate", "--noinput", "-v0", env=env)
    print(f"· generating scale {scale} data (idempotent)", flush=True)
    subprocess.run(
        [*manage, "generate_scale_data", "--scale", scale], cwd=ROOT, env=env, check=True
    )
    sh(*manage, "collectstatic", "--noinput", "-v0", env=env)
    sh(
        *manage,
        "shell",
        "-c",
        "from django.db import connection; c=connection.cursor(); "
        "c.execute('VACUUM ANALYZE') if connection.vendor=='postgresql' else None",
        env=env,
    )


def django_snippet(env: dict, code: str) -> str:
    return sh(PYTHON, "manage.py", "shell", "-c", code, env=env).strip().splitlines()[-1]


def bench_session(env: dict, email: str) -> str:
    code = (
        "from django.contrib.sessions.backends.db import SessionStore;"
        "from django.contrib.auth import get_user_model;"
        f"u=get_user_model().objects.get(email='{email}');"
        "s=SessionStore();s['_auth_user_id']=str(u.pk);"
        "s['_auth_user_backend']='django.contrib.auth.backends.ModelBackend';"
        "s['_auth_user_hash']=u.get_session_auth_hash();s.create();print(s.session_key)"
    )
    return django_snippet(env, code)


def bench_token(env: dict, email: str) -> str:
    output = sh(
        PYTHON,
        "manage.py",
        "create_api_token",
        email,
        "--scopes",
        "read",
        "--expires-days",
        "1",
        env=env,
        check=False,
    )
    tokens = [word for word in output.split() if word.startswith("strat_")]
    return tokens[-1] if tokens else ""


class Server:
    """gunicorn with production settings; samples the RSS of its processes while it runs."""

    def __init__(self, env: dict, workers: int):
        self.env, self.workers = env, workers
        self.peak_rss_kb = 0
        self._sampling = False

    def __enter__(self):
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "portal.wsgi:application",
                "--bind",
                f"127.0.0.1:{PORT}",
                "--workers",
                str(self.workers),
                "--worker-class",
                "gthread",
                "--threads",
                "4",
                "--timeout",
                "120",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=self.env,
        )
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{BASE}/healthz", timeout=1)
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)

    def pids(self) -> list[int]:
        children = sh("pgrep", "-P", str(self.process.pid), check=False).split()
        return [self.process.pid, *map(int, children)]

    def rss_kb(self) -> int:
        total = 0
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            total += next(
                int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")
            )
        return total

    def start_sampling(self):
        self.peak_rss_kb, self._sampling = self.rss_kb(), True

        def sample():
            while self._sampling:
                self.peak_rss_kb = max(self.peak_rss_kb, self.rss_kb())
                time.sleep(0.05)

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()

    def stop_sampling(self) -> int:
        self._sampling = False
        self._thread.join()
        return self.peak_rss_kb


def wrk(path: str, duration: int, connections: int, headers: dict) -> dict:
    args = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "-s",
        str(ROOT / "bench" / "report.lua"),
    ]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    output = sh(*args, f"{BASE}{path}")
    return json.loads(output.strip().splitlines()[-1])


def full_sync(token: str) -> dict:
    """Walk every page of the visible datasets with page_size=200; records per second."""
    url, records, pages = f"{BASE}/api/v1/datasets/?page_size=200", 0, 0
    started = time.monotonic()
    while url:
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=60) as response:
            body = json.load(response)
        records += len(body["results"])
        pages += 1
        url = body.get("next")
    seconds = time.monotonic() - started
    return {
        "records": records,
        "pages": pages,
        "seconds": seconds,
        "per_second": records / seconds if seconds else 0,
    }


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    if os.geteuid() == 0:
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wrk"],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
    if not shutil.which("wrk"):
        sys.exit("wrk is required: apt-get install wrk")


def scenarios(project_slug: str) -> list[tuple[str, str, str]]:
    """(name, path, who): who is 'anon', 'session' or 'token'."""
    return [
        ("/healthz", "/healthz", "anon"),
        ("anonymous catalogue page", "/projects/", "anon"),
        ("signed-in project page", f"/projects/{project_slug}/", "session"),
        ("dataset list page", "/datasets/", "session"),
        ("API datasets page_size=50", "/api/v1/datasets/?page_size=50", "token"),
        ("catalogue full-text search", "/projects/?q=asthma+biomarker", "anon"),
    ]


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 // 1024
    return f"{os.cpu_count()} cores ({cpu}), {memory} GiB RAM, {platform.platform()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=["s", "m", "l"], default="s")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", "4")))
    parser.add_argument("--skip-prepare", action="store_true")
    parser.add_argument("--record", action="store_true", help="append to docs/benchmarks.md")
    options = parser.parse_args()
    ensure_wrk()
    static_root = tempfile.mkdtemp(prefix="stratum-bench-static-")
    env = production_env(options.scale, static_root)
    if not options.skip_prepare:
        prepare(options.scale, env)
    # Always: production settings serve static files through the manifest of this run.
    sh(PYTHON, "manage.py", "collectstatic", "--noinput", "-v0", env=env)
    email = f"bench-{options.scale}@scale.stratum.test"
    session, token = bench_session(env, email), bench_token(env, email)
    project_slug = f"scale-{options.scale}-0"
    headers = {
        "anon": {},
        "session": {"Cookie": f"sessionid={session}"},
        "token": {"Authorization": f"Bearer {token}"},
    }
    rows = []
    with Server(env, options.workers) as server:
        for name, path, who in scenarios(project_slug):
            wrk(path, 2, options.connections, headers[who])  # warm-up
            server.start_sampling()
            result = wrk(path, options.duration, options.connections, headers[who])
            result["rss_mb"] = server.stop_sampling() / 1024
            result["name"] = name
            result["rps"] = result["requests"] / result["seconds"]
            rows.append(result)
            print(f"· {name}: {result['rps']:.0f} req/s", flush=True)
        server.start_sampling()
        sync = full_sync(token) if token else None
        sync_rss = server.stop_sampling() / 1024
    shutil.rmtree(static_root, ignore_errors=True)
    table = render(rows, sync, sync_rss, options)
    print(table)
    if options.record:
        record(table, options)


def render(rows, sync, sync_rss, options) -> str:
    healthz = rows[0]["rps"] or 1
    lines = [
        f"scale {options.scale}, {options.connections} connections, {options.duration} s per "
        f"scenario, gunicorn {options.workers} workers × 4 threads, production settings",
        "",
        "| scenario | req/s | p50 ms | p95 ms | p99 ms | errors | peak RSS MB | vs /healthz |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        lines.append(
            f"| {row['name']} | {row['rps']:.0f} | {row['p50']:.1f} | {row['p95']:.1f} | "
            f"{row['p99']:.1f} | {row['errors']} | {row['rss_mb']:.0f} | "
            f"{row['rps'] / healthz:.0%} |"
        )
    if sync:
        lines.append(
            f"| API full sync ({sync['records']} datasets, {sync['pages']} pages) | "
            f"{sync['per_second']:.0f} records/s | | | | 0 | {sync_rss:.0f} | |"
        )
    else:
        lines.append("| API full sync | not run: no API token could be created | | | | | | |")
    return "\n".join(lines)


def record(table: str, options) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    commit = sh("git", "rev-parse", "--short", "HEAD", check=False).strip()
    entry = (
        f"\n## {time.strftime('%d %b %Y %H:%M')} — commit {commit}, scale {options.scale}\n\n"
        f"Machine: {machine()}\n\n"
        f"Command: `.venv/bin/python bench/run.py --scale {options.scale} "
        f"--duration {options.duration} --connections {options.connections}`\n\n{table}\n"
    )
    with path.open("a") as handle:
        handle.write(entry)


if __name__ == "__main__":
    main()
