"""Start and kill real Celery worker processes from tests and bench scripts."""

import os
import signal
import subprocess
import time
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
CELERY = ROOT / ".venv" / "bin" / "celery"


def database_url() -> str:
    db = settings.DATABASES["default"]
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


class Worker:
    """One `celery worker` in its own process group, so kill -9 reaches its pool children too."""

    def __init__(
        self,
        *,
        smtp_port: int,
        log_path: Path,
        concurrency: int = 2,
        name: str = "w",
        beat: bool = False,
    ):
        self.smtp_port = smtp_port
        self.log_path = log_path
        self.concurrency = concurrency
        self.name = name
        # With beat embedded (-B), the outbox sweep runs on its production schedule inside the
        # worker: killing the worker kills beat too, as when a whole node is lost.
        self.beat = beat
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.notifications.worker_settings",
            "DATABASE_URL": database_url(),
            "REDIS_URL": settings.CELERY_BROKER_URL,
            "SMTP_SINK_PORT": str(self.smtp_port),
            "PYTHONPATH": str(ROOT),
        }
        self.log = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [
                str(CELERY),
                "-A",
                "portal",
                "worker",
                "--pool=prefork",
                f"--concurrency={self.concurrency}",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                f"--hostname={self.name}-{os.getpid()}@%h",
                *self._beat_arguments(),
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_ready(timeout)

    def _beat_arguments(self) -> list[str]:
        if not self.beat:
            return []
        schedule = self.log_path.with_name(f"{self.log_path.stem}-beat-schedule")
        return ["-B", "--scheduler=celery.beat:PersistentScheduler", f"--schedule={schedule}"]

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        start = self.log_path.stat().st_size if self.log_path.exists() else 0
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log_path.read_text()[-3000:]}")
            with open(self.log_path, "rb") as log:
                log.seek(start)
                if b" ready." in log.read():
                    return
            time.sleep(0.2)
        raise RuntimeError(f"worker not ready: {self.log_path.read_text()[-3000:]}")

    def kill9(self) -> None:
        """SIGKILL the whole process group: the parent and every pool child, mid-task."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if getattr(self, "log", None):
            self.log.close()
