#!/usr/bin/env python
"""Stratum benchmark: scale data on PostgreSQL, gunicorn with production settings, load from wrk.

    make bench                                  # scale s, 10 s per scenario
    .venv/bin/python bench/run.py --scale l --duration 30 --record

Prints one table: scenario, requests/s, p50/p95/p99 latency, errors, peak RSS of the server
processes and each scenario's throughput relative to /healthz in the same run; then the API full
sync (records/s), the notification fan-out (notifications/s written, e-mails/s through one Celery
worker to a local SMTP sink; bench/fanout.py) and a 1 GiB upload and download through the site's
upload form and download view (MB/s, RSS growth of the server; bench/transfer.py), the download
also through nginx with X-Accel-Redirect when nginx is installed. `--record` appends the table
with machine details to docs/benchmarks.md. Needs PostgreSQL and Redis on 127.0.0.1 and Debian's
`wrk` (installed with apt-get when missing and running as root). Exits non-zero when any
scenario had errors.

Environment: BENCH_DATABASE_URL (default stratum_bench_<scale>; the fan-out uses
<that name>_fanout), BENCH_REDIS_URL (default redis://127.0.0.1:6379/9), BENCH_PORT (8765; nginx
uses the next two ports), BENCH_WORKERS.
"""

import argparse
import http.client
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
sys.path.insert(0, str(ROOT / "bench"))

import transfer  # noqa: E402  (bench/transfer.py, next to this file)


def sh(*args, env=None, check=True, capture=True) -> str:
    result = subprocess.run(args, cwd=ROOT, env=env, check=check, text=True, capture_output=capture)
    return result.stdout if capture else ""


def production_env(scale: str, static_root: str, media_root: str) -> dict:
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
        # This run's uploads, beside var/uploads-tmp (one filesystem: storing is a rename).
        "MEDIA_ROOT": media_root,
        "LOG_LEVEL": "WARNING",
        "EMAIL_URL": "dummymail://",
        # wrk is one address with one token: production's API rates would turn the API
        # scenarios into a measurement of 429s.
        "API_THROTTLE_TOKEN": "1000000/min",
        "API_THROTTLE_IP": "1000000/min",
    }


def _psql(sql: str) -> str:
    return sh("psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-tAc", sql).strip()


def database_name(url: str) -> str:
    return url.rsplit("/", 1)[1].split("?", 1)[0]


def ensure_database(env: dict) -> bool:
    """Create the bench database when missing; True when it was created now."""
    name = database_name(env["DATABASE_URL"])
    if _psql(f"SELECT 1 FROM pg_database WHERE datname='{name}'"):
        return False
    _psql(f'CREATE DATABASE "{name}"')
    return True


def fanout_database_url(env: dict) -> str:
    return env["DATABASE_URL"].split("?", 1)[0] + "_fanout"


def prepare(scale: str, env: dict) -> None:
    created = ensure_database(env)
    manage = [PYTHON, "manage.py"]
    print("· migrating", flush=True)
    sh(*manage, "migrate", "--noinput", "-v0", env=env)
    fanout = database_name(fanout_database_url(env))
    if created and not _psql(f"SELECT 1 FROM pg_database WHERE datname='{fanout}'"):
        # The fan-out's own database starts as a copy of this freshly migrated, still empty
        # one: cheaper than migrating a second database.
        _psql(f'CREATE DATABASE "{fanout}" TEMPLATE "{database_name(env["DATABASE_URL"])}"')
    print(f"· generating scale {scale} data (idempotent)", flush=True)
    subprocess.run(
        [*manage, "generate_scale_data", "--scale", scale], cwd=ROOT, env=env, check=True
    )
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
    """A signed-in session for the bench persona. The persona administers its organisation, a
    role that must have a second factor (apps.security.mfa): without an authenticator every
    signed-in page would answer with a redirect to enrolment, so one is enrolled (once)."""
    code = (
        "from allauth.mfa.models import Authenticator;"
        "from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret;"
        "from django.contrib.sessions.backends.db import SessionStore;"
        "from django.contrib.auth import get_user_model;"
        f"u=get_user_model().objects.get(email='{email}');"
        "has=Authenticator.objects.filter(user=u, type=Authenticator.Type.TOTP).exists();"
        "has or TOTP.activate(u, generate_totp_secret());"
        "s=SessionStore();s['_auth_user_id']=str(u.pk);"
        "s['_auth_user_backend']='django.contrib.auth.backends.ModelBackend';"
        "s['_auth_user_hash']=u.get_session_auth_hash();s.create();print(s.session_key)"
    )
    return django_snippet(env, code)


def answers(path: str, headers: dict) -> int:
    """The status of one request (redirects not followed): wrk counts only 4xx/5xx as errors,
    so a scenario that silently measured a redirect would look fine."""
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


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

    def __init__(
        self, env: dict, workers: int, port: int = PORT, threads: int = 4, kind: str = "gthread"
    ):
        self.env, self.workers, self.port, self.threads = env, workers, port, threads
        self.kind = kind
        self.base = f"http://127.0.0.1:{port}"
        self.peak_rss_kb = 0
        self._sampling = False

    def __enter__(self):
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "portal.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--worker-class",
                self.kind,
                "--threads",
                str(self.threads if self.kind == "gthread" else 1),
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
                urllib.request.urlopen(f"{self.base}/healthz", timeout=1)
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
                (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")),
                0,  # a process that is exiting has no resident set any more
            )
        return total

    def start_sampling(self):
        self.start_rss_kb = self.peak_rss_kb = self.rss_kb()
        self._sampling = True

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


def bench_headers(session: str, token: str) -> dict[str, dict[str, str]]:
    """The request headers of each kind of caller in the scenarios ('anon', 'session',
    'token'): the bench persona's session cookie and API token."""
    return {
        "anon": {},
        "session": {"Cookie": f"sessionid={session}"},
        "token": {"Authorization": f"Bearer {token}"},
    }


def wrk(path: str, duration: int, connections: int, headers: dict, timeout: int = 0) -> dict:
    """`timeout`: seconds before wrk counts a request as failed (0: wrk's default, 2 s)."""
    args = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{duration}s",
        *([f"--timeout={timeout}s"] if timeout else []),
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
        quiet = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-qq", "wrk"]
        if subprocess.run(install, env=quiet, check=False).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=quiet, check=False)
            subprocess.run(install, env=quiet, check=False)
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


def options_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--scale", choices=["s", "m", "l"], default="s")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk scenario")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of wrk before each")
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", "4")))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", "4")))
    parser.add_argument(
        "--worker-class", choices=["gthread", "sync"], default="gthread", help="as in production"
    )
    parser.add_argument("--transfer-mib", type=int, default=1024, help="upload/download size")
    parser.add_argument("--fanout-recipients", type=int, default=10_000)
    parser.add_argument("--fanout-emails", type=int, default=2000, help="e-mails sent to the sink")
    parser.add_argument("--no-nginx", action="store_true", help="skip the download via nginx")
    parser.add_argument("--skip-prepare", action="store_true")
    parser.add_argument("--record", action="store_true", help="append to docs/benchmarks.md")
    return parser


def main() -> None:
    options = options_parser().parse_args()
    ensure_wrk()
    static_root = tempfile.mkdtemp(prefix="stratum-bench-static-")
    media_root = ROOT / "var" / f"bench-media-{os.getpid()}"
    media_root.mkdir(parents=True)
    media_root.chmod(0o755)  # nginx's workers run unprivileged and read the files from here
    env = production_env(options.scale, static_root, str(media_root))
    try:
        results = run_all(options, env, static_root, str(media_root))
    finally:
        shutil.rmtree(static_root, ignore_errors=True)
        shutil.rmtree(media_root, ignore_errors=True)
    table = render(results, options)
    print(table)
    if options.record:
        record(table, options)
    sys.exit(1 if total_errors(results) else 0)


def run_all(options, env: dict, static_root: str, media_root: str) -> dict:
    if not options.skip_prepare:
        prepare(options.scale, env)
    # Always: production settings serve static files through the manifest of this run.
    sh(PYTHON, "manage.py", "collectstatic", "--noinput", "-v0", env=env)
    email = f"bench-{options.scale}@scale.stratum.test"
    session, token = bench_session(env, email), bench_token(env, email)
    project_slug = f"scale-{options.scale}-0"
    headers = bench_headers(session, token)
    results: dict = {"rows": [], "transfers": []}
    with Server(env, options.workers, threads=options.threads, kind=options.worker_class) as server:
        for name, path, who in scenarios(project_slug):
            if options.warmup:
                wrk(path, options.warmup, options.connections, headers[who])
            server.start_sampling()
            result = wrk(path, options.duration, options.connections, headers[who])
            result["rss_mb"] = server.stop_sampling() / 1024
            result["name"] = name
            status = answers(path, headers[who])
            if status != 200:
                result["name"] = f"{name}: answers {status}, not 200"
                result["errors"] = max(result["errors"], 1)
            result["rps"] = result["requests"] / result["seconds"]
            results["rows"].append(result)
            print(f"· {name}: {result['rps']:.0f} req/s", flush=True)
        server.start_sampling()
        results["sync"] = full_sync(token) if token else None
        results["sync_rss"] = server.stop_sampling() / 1024
        dataset = django_snippet(
            env,
            transfer.SETUP.format(email=email, project=project_slug, name=transfer.FILE_NAME),
        )
        try:
            results["transfers"] += transfer_via_gunicorn(server, env, options, session, dataset)
            if not options.no_nginx and results["transfers"][-1].status == 200:
                results["transfers"].append(
                    download_via_nginx(env, session, results["transfers"], static_root, media_root)
                )
        finally:
            django_snippet(env, transfer.CLEAN.format(dataset=dataset, name=transfer.FILE_NAME))
    results["fanout"] = fan_out(env, options)
    return results


def _sampled(server: Server, run, label: str) -> "transfer.Transfer":
    server.start_sampling()
    result = run()
    peak = server.stop_sampling()
    result.direction = label
    result.rss_peak_mb = peak / 1024
    result.rss_growth_mb = (peak - server.start_rss_kb) / 1024
    print(
        f"· {label}: {result.mb_per_s:.0f} MB/s, server RSS "
        f"+{result.rss_growth_mb:.0f} MB {result.error}",
        flush=True,
    )
    return result


def transfer_via_gunicorn(server: Server, env: dict, options, session: str, dataset: str) -> list:
    """Upload through the dataset upload form, then download through the download view."""
    size = options.transfer_mib * transfer.MIB
    sent = _sampled(
        server,
        lambda: transfer.upload(server.base, dataset, session, size),
        f"upload {options.transfer_mib} MiB (dataset upload form)",
    )
    if sent.error:
        return [sent]
    path, stored_sha256 = transfer.stored_file(server.base, dataset, session)
    if stored_sha256 != sent.sha256:
        sent.error = f"the server stored SHA-256 {stored_sha256[:12]}…, not {sent.sha256[:12]}…"
        return [sent]
    got = _sampled(
        server,
        lambda: transfer.download(server.base, path, session, sent.sha256),
        f"download {options.transfer_mib} MiB (gunicorn, FileResponse)",
    )
    return [sent, got]


def download_via_nginx(env: dict, session: str, transfers: list, static_root, media_root):
    """The production path: nginx in front, the app answers with X-Accel-Redirect."""
    sent, got = transfers[-2], transfers[-1]
    label = got.direction.replace("gunicorn, FileResponse", "nginx, X-Accel-Redirect")
    if not transfer.Nginx.available():
        return transfer.Transfer(f"{label}: not run, no nginx", got.path, 0, 0, "", 0)
    accel_env = {**env, "X_ACCEL_REDIRECT_PREFIX": "/protected/"}
    with (
        Server(accel_env, 1, port=PORT + 1) as server,
        transfer.Nginx(f"127.0.0.1:{PORT + 1}", PORT + 2, media_root, static_root) as nginx,
    ):
        front = f"http://127.0.0.1:{nginx.port}"
        return _sampled(
            server, lambda: transfer.download(front, got.path, session, sent.sha256), label
        )


def fan_out(env: dict, options) -> dict:
    """bench/fanout.py in its own process and database, on this run's Redis database."""
    command = [
        PYTHON,
        str(ROOT / "bench" / "fanout.py"),
        "--recipients",
        str(options.fanout_recipients),
        "--email-sample",
        str(options.fanout_emails),
        "--database-url",
        fanout_database_url(env),
        "--redis-url",
        env["REDIS_URL"],
        "--json",
    ]
    print("· notification fan-out (bench/fanout.py)", flush=True)
    result = subprocess.run(command, cwd=ROOT, text=True, capture_output=True, check=False)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        tail = (result.stdout + result.stderr).strip().splitlines()[-15:]
        print("\n".join(tail), file=sys.stderr)
        return {"error": f"bench/fanout.py exited with {result.returncode}"}
    return json.loads(lines[-1])


def total_errors(results: dict) -> int:
    errors = sum(row["errors"] for row in results["rows"])
    errors += sum(1 for item in results["transfers"] if item.error)
    errors += 1 if results["fanout"].get("error") else 0
    return errors + (0 if results["sync"] else 1)


def server_shape(options) -> str:
    if options.worker_class == "sync":
        return f"{options.workers} sync workers"
    return f"{options.workers} workers × {options.threads} threads"


def render(results: dict, options) -> str:
    rows = results["rows"]
    healthz = rows[0]["rps"] or 1
    lines = [
        f"scale {options.scale}, {options.connections} connections, {options.duration} s per "
        f"scenario, gunicorn {server_shape(options)}, production settings",
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
    sync = results["sync"]
    if sync:
        lines.append(
            f"| API full sync ({sync['records']} datasets, {sync['pages']} pages) | "
            f"{sync['per_second']:.0f} records/s | | | | 0 | {results['sync_rss']:.0f} | |"
        )
    else:
        lines.append("| API full sync: not run, no API token could be created | | | | | 1 | | |")
    lines += _fanout_rows(results["fanout"])
    for item in results["transfers"]:
        rss = f"{item.rss_peak_mb:.0f} (+{item.rss_growth_mb:.0f})" if item.seconds else ""
        rate = f"{item.mb_per_s:.0f} MB/s" if item.seconds else ""
        name = item.direction + (f": {item.error}" if item.error else "")
        lines.append(f"| {name} | {rate} | | | | {1 if item.error else 0} | {rss} | |")
    lines += [
        "",
        "Fan-out: notifications written per second in the emitting transaction (policy filter, "
        "in-app rows, outbox rows), then e-mails per second through one Celery worker process "
        "to a local SMTP sink, each delivered exactly once. Transfers: peak RSS of all gunicorn "
        "processes, in brackets its growth during the transfer.",
    ]
    return "\n".join(lines)


def _fanout_rows(fanout: dict) -> list[str]:
    if fanout.get("error"):
        return [f"| notification fan-out: {fanout['error']} | | | | | 1 | | |"]
    return [
        f"| notification fan-out ({fanout['recipients']:,} recipients, one transaction) | "
        f"{fanout['notifications_per_s']:,.0f} notifications/s | | | | 0 | | |",
        f"| e-mail delivery ({fanout['emails']:,} e-mails, {fanout['concurrency']} worker "
        f"process, SMTP sink) | {fanout['emails_per_s']:,.0f} e-mails/s | | | | 0 | | |",
    ]


def load_average() -> str:
    one, five, fifteen = Path("/proc/loadavg").read_text().split()[:3]
    return f"load average {one}, {five}, {fifteen} (1, 5, 15 min)"


def record(table: str, options) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    commit = sh("git", "rev-parse", "--short", "HEAD", check=False).strip()
    entry = (
        f"\n## {time.strftime('%d %b %Y %H:%M')} — commit {commit}, scale {options.scale}\n\n"
        f"Machine: {machine()}\n\n"
        f"Command: `.venv/bin/python bench/run.py --scale {options.scale} "
        f"--duration {options.duration} --connections {options.connections}"
        f"{' --worker-class sync' if options.worker_class == 'sync' else ''}`\n\n"
        f"Load while measuring: {load_average()}\n\n{table}\n"
    )
    with path.open("a") as handle:
        handle.write(entry)


if __name__ == "__main__":
    main()
