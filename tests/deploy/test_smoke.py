"""deploy/smoke.sh passes: nginx + gunicorn (production settings) + worker + beat on loopback."""

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from tests.deploy.conftest import DEPLOY, ROOT

pytestmark = [pytest.mark.services, pytest.mark.slow]


def answers(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


def test_the_production_smoke_script_passes_every_check(tmp_path):
    db = settings.DATABASES["default"]
    redis_url = settings.REDIS_URL
    nginx = shutil.which("nginx") or Path("/usr/sbin/nginx").exists()
    available = (
        db["ENGINE"] == "django.db.backends.postgresql"
        and redis_url
        and answers(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
        and (nginx or os.geteuid() == 0)  # root may apt-get install nginx-light
    )
    if not available:
        if os.environ.get("REQUIRE_SERVICES"):
            pytest.fail("REQUIRE_SERVICES is set but PostgreSQL, Redis or nginx is missing")
        pytest.skip("needs PostgreSQL, Redis and nginx (or root to install it)")
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    server = f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))},
        "SMOKE_DATABASE_URL": f"{server}/stratum_smoke_{os.getpid()}",
        # The suite's own Redis db for this process: flushing it disturbs no other test.
        "SMOKE_REDIS_URL": redis_url,
        "SMOKE_PORT_BASE": str(19000 + 200 * worker + os.getpid() % 10 * 10),
    }
    result = subprocess.run(
        ["bash", str(DEPLOY / "smoke.sh")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = result.stdout + result.stderr[-4000:]
    assert result.returncode == 0, report
    assert "12 passed, 0 failed, 0 skipped" in result.stdout, report
