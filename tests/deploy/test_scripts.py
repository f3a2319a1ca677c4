"""Shell scripts parse, and the health check speaks to gunicorn with an allowed Host."""

import http.server
import os
import subprocess
import sys
import threading

import pytest

from tests.deploy.conftest import DEPLOY


@pytest.mark.parametrize(
    ("shell", "script"),
    [
        ("bash", "backup.sh"),
        ("bash", "restore.sh"),
        ("bash", "smoke.sh"),
        ("bash", "docker-smoke.sh"),
        ("bash", "image-rehearsal.sh"),
        ("bash", "local-base-image.sh"),
        ("sh", "docker-entrypoint.sh"),
    ],
)
def test_script_parses_and_is_executable(shell, script):
    path = DEPLOY / script
    assert (
        subprocess.run([shell, "-n", str(path)], capture_output=True, check=False).returncode == 0
    )
    assert os.access(path, os.X_OK)


def test_restore_without_a_backup_directory_explains_its_usage():
    result = subprocess.run(
        ["bash", str(DEPLOY / "restore.sh")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "Restore a Stratum backup" in result.stderr


@pytest.fixture
def fake_gunicorn():
    seen = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen["host"], seen["path"] = self.headers["Host"], self.path
            self.send_response(200 if self.headers["Host"] == "stratum.example.org" else 400)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], seen
    server.shutdown()


def healthcheck(port: int, allowed_hosts: str) -> int:
    env = {**os.environ, "PORT": str(port), "ALLOWED_HOSTS": allowed_hosts}
    return subprocess.run(
        [sys.executable, str(DEPLOY / "healthcheck.py")], env=env, capture_output=True, check=False
    ).returncode


def test_healthcheck_uses_the_first_concrete_allowed_host(fake_gunicorn):
    port, seen = fake_gunicorn
    assert healthcheck(port, "*,.example.net,stratum.example.org") == 1
    assert seen == {"host": "example.net", "path": "/healthz"}
    assert healthcheck(port, "stratum.example.org,localhost") == 0


def test_healthcheck_fails_when_nothing_listens():
    assert healthcheck(1, "localhost") == 1
