"""A task sent from the web side runs in a separate worker process, on the configured broker."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.core.cache import cache

from apps.core.tasks import ping

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def queue_name():
    # A queue of its own: other tests may leave tasks on the shared broker database, and the
    # ping must not wait behind them.
    return f"ping-{uuid.uuid4().hex}"


@pytest.fixture
def worker_process(queue_name):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings.test"}
    celery = Path(sys.executable).with_name("celery")
    process = subprocess.Popen(
        [
            str(celery),
            "-A",
            "portal",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-Q",
            queue_name,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    yield process
    process.terminate()
    process.wait(timeout=20)


@pytest.mark.services
def test_task_sent_by_the_web_process_runs_in_a_separate_worker(worker_process, queue_name):
    token = uuid.uuid4().hex
    ping.apply_async(args=[token], queue=queue_name)
    deadline = time.monotonic() + 30
    answer = None
    while time.monotonic() < deadline and answer is None:
        answer = cache.get(f"ping:{token}")
        time.sleep(0.2)
    if answer is None:
        worker_process.terminate()
        output = worker_process.communicate(timeout=20)[0].decode(errors="replace")
        pytest.fail(f"no worker answered within 30 s; worker output:\n{output[-3000:]}")
    assert answer.endswith(f":{worker_process.pid}")
    assert worker_process.pid != os.getpid()
