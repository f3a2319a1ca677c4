"""CI runs the benchmark harness at scale s as a smoke check (issue 8, acceptance 3).

`bench/run.py --scale s` with one-second scenarios, a small transfer and a small fan-out, on a
database and ports of its own: every scenario of the table must be printed, with no errors. No
throughput target is asserted here; figures come from `make bench` on a quiet machine.
"""

import os
import random
import shutil
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = [pytest.mark.services, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = [
    "/healthz",
    "anonymous catalogue page",
    "signed-in project page",
    "dataset list page",
    "API datasets page_size=50",
    "catalogue full-text search",
    "API full sync",
    "notification fan-out",
    "e-mail delivery",
    "upload 16 MiB (dataset upload form)",
    "download 16 MiB (gunicorn, FileResponse)",
]


def _answers(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port_run(count: int) -> int:
    """A port with the next `count - 1` ports free as well (gunicorn, then nginx's two).

    Chosen below Linux's ephemeral range (32768–60999): a port from that range can be taken
    at any moment as the local end of an outgoing connection (this run's own database and
    Redis clients included), and gunicorn's bind then fails with "Address already in use"."""
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(20000, 32000 - count)
        if all(_bindable(base + i) for i in range(count)):
            return base
    raise RuntimeError("no run of free ports")


def _services_or_skip() -> dict:
    db = settings.DATABASES["default"]
    host, port = db.get("HOST") or "127.0.0.1", int(db.get("PORT") or 5432)
    have_wrk = shutil.which("wrk") or os.geteuid() == 0  # root: bench/run.py apt-gets it
    available = (
        db["ENGINE"] == "django.db.backends.postgresql"
        and settings.REDIS_URL
        and _answers(host, port)
        and shutil.which("psql")
        and have_wrk
    )
    if not available:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("REQUIRE_SERVICES=1 but PostgreSQL, Redis, psql or wrk is missing")
        pytest.skip("needs PostgreSQL, Redis, psql and wrk (or root to install it)")
    return db


def _drop(admin_url: str, *names: str) -> None:
    for name in names:
        subprocess.run(
            ["psql", admin_url, "-qX", "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
            check=False,
            capture_output=True,
        )


def test_the_harness_prints_every_scenario_with_no_errors_at_scale_s():
    db = _services_or_skip()
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    server = f"postgres://{credentials}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"
    # Never a developer's stratum_bench_<scale>: a name of its own, dropped afterwards.
    name = f"stratum_bench_smoke_{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "BENCH_DATABASE_URL": f"{server}/{name}",
        "BENCH_REDIS_URL": settings.REDIS_URL,
        "BENCH_PORT": str(_free_port_run(3)),
        "BENCH_WORKERS": "2",
    }
    command = [
        sys.executable,
        "bench/run.py",
        "--scale=s",
        "--duration=1",
        "--warmup=0",
        "--connections=4",
        "--transfer-mib=16",
        "--fanout-recipients=100",
        "--fanout-emails=100",
    ]
    try:
        result = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
        )
    finally:
        _drop(f"{server}/postgres", name, f"{name}_fanout")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    table = [line for line in result.stdout.splitlines() if line.startswith("| ")]
    cells = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in table[2:]]
    nginx = shutil.which("nginx") or Path("/usr/sbin/nginx").exists()
    for scenario in SCENARIOS + (["download 16 MiB (nginx, X-Accel-Redirect)"] if nginx else []):
        matching = [row for row in cells if row[0].startswith(scenario)]
        assert matching, f"no row for {scenario!r} in:\n" + "\n".join(table)
        assert matching[0][5] == "0", f"{scenario!r} had errors: {matching[0]}"
