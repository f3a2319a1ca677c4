"""Acceptance: a web worker killed with SIGKILL in the middle of an upload, and a client that
cuts its connection, leave nothing once the temporary-upload sweep has run. A real gunicorn
serves a raw API upload; the test lists every temporary location before and after."""

import os
import signal
import socket
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection

from apps.core.sweeps import sweep_temporary_uploads
from apps.datasets.models import DatasetFile, DatasetFileUpload
from tests.api.conftest import token_for
from tests.notifications.worker import ROOT, database_url

pytestmark = [pytest.mark.slow]

DECLARED = 64 * 1024**2  # what the request promises
SENT = 8 * 1024**2  # what arrives before the worker dies or the client leaves


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gunicorn(transactional_db, tmp_path, settings):
    """Stratum under gunicorn (one sync worker) with its own VAR_DIR, so its temporary upload
    folder is the one this test (and its sweep) looks at."""
    if connection.vendor != "postgresql":
        # gunicorn runs in another process: it cannot reach an in-memory SQLite test database.
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("REQUIRE_SERVICES=1 but the tests do not run on PostgreSQL")
        pytest.skip("needs PostgreSQL: the server process shares the test database")
    var = tmp_path / "var"
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": database_url(),
        "VAR_DIR": str(var),
        "PYTHONPATH": str(ROOT),
    }
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [
            *(str(ROOT / ".venv" / "bin" / "gunicorn"), "portal.wsgi"),
            *("--bind", f"127.0.0.1:{port}", "--workers", "1", "--timeout", "120"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    settings.FILE_UPLOAD_TEMP_DIR = str(var / "uploads-tmp")
    settings.MEDIA_ROOT = var / "test-media"
    yield {"port": port, "pid": process.pid, "var": var}
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    log.close()


def every_temporary_location(var: Path) -> dict:
    """Everything an upload may have left: server-side temporary files, stored files, open
    resumable uploads (their bucket parts are covered by test_multipart_uploads)."""

    def files(folder: Path) -> list[str]:
        return sorted(str(p) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []

    return {
        "uploads-tmp": files(var / "uploads-tmp"),
        "stored": files(var / "test-media"),
        "rows": DatasetFile.objects.count(),
        "open multipart uploads": DatasetFileUpload.objects.filter(status="open").count(),
    }


def _start_upload(port: int, token: str, dataset) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", port))
    connection.sendall(
        (
            f"POST /api/v1/datasets/{dataset.pk}/files/?filename=cohort.csv HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{port}\r\n"
            f"Authorization: Bearer {token}\r\n"
            "Content-Type: text/csv\r\n"
            f"Content-Length: {DECLARED}\r\n\r\n"
        ).encode()
    )
    chunk = b"S0001,12345\n" * (1024 * 1024 // 12)
    sent = 0
    while sent < SENT:
        connection.sendall(chunk)
        sent += len(chunk)
    return connection


def _wait_for_partial_file(var: Path) -> list[Path]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = [p for p in (var / "uploads-tmp").glob("*") if p.stat().st_size > 0]
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("no partial upload file appeared")


def _worker_pid(master: int) -> int:
    return int(Path(f"/proc/{master}/task/{master}/children").read_text().split()[0])


def test_a_web_worker_killed_mid_upload_leaves_nothing_once_the_sweep_ran(
    gunicorn, coordinator, consortium_dataset
):
    connection = _start_upload(gunicorn["port"], token_for(coordinator), consortium_dataset)
    partial = _wait_for_partial_file(gunicorn["var"])
    os.kill(_worker_pid(gunicorn["pid"]), signal.SIGKILL)
    time.sleep(0.5)
    connection.close()

    left = every_temporary_location(gunicorn["var"])
    assert left["uploads-tmp"] == [str(p) for p in partial]  # what the old sweep never visited

    removed = sweep_temporary_uploads(older_than=timedelta(0))

    assert removed["uploads-tmp"] == [str(p) for p in partial]
    assert every_temporary_location(gunicorn["var"]) == {
        "uploads-tmp": [],
        "stored": [],
        "rows": 0,
        "open multipart uploads": 0,
    }


def test_a_cut_connection_mid_upload_leaves_nothing_once_the_sweep_ran(
    gunicorn, coordinator, consortium_dataset
):
    connection = _start_upload(gunicorn["port"], token_for(coordinator), consortium_dataset)
    _wait_for_partial_file(gunicorn["var"])
    connection.close()  # the client goes away; the worker lives on
    deadline = time.monotonic() + 30
    while every_temporary_location(gunicorn["var"])["uploads-tmp"] and time.monotonic() < deadline:
        time.sleep(0.2)  # the upload handler removes its own file when it sees the cut

    sweep_temporary_uploads(older_than=timedelta(0))

    assert every_temporary_location(gunicorn["var"]) == {
        "uploads-tmp": [],
        "stored": [],
        "rows": 0,
        "open multipart uploads": 0,
    }
