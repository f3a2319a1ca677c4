"""deploy/gunicorn.conf.py: workers from the CPU count, sane timeouts, JSON access log."""

import json
import logging
import multiprocessing
import runpy
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from tests.deploy.conftest import DEPLOY

CONFIG = str(DEPLOY / "gunicorn.conf.py")


def load(monkeypatch, **env) -> dict:
    for name in (
        "GUNICORN_WORKERS",
        "GUNICORN_MAX_WORKERS",
        "GUNICORN_TIMEOUT",
        "GUNICORN_WORKER_CLASS",
        "GUNICORN_CONTROL_SOCKET",
        "LOG_FORMAT",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(CONFIG)


def test_workers_follow_the_cpu_count_with_a_cap(monkeypatch):
    monkeypatch.setattr(multiprocessing, "cpu_count", lambda: 2)
    assert load(monkeypatch)["workers"] == 5
    monkeypatch.setattr(multiprocessing, "cpu_count", lambda: 64)
    assert load(monkeypatch)["workers"] == 12
    assert load(monkeypatch, GUNICORN_WORKERS="3")["workers"] == 3


def test_timeouts_leave_room_for_a_graceful_stop(monkeypatch):
    config = load(monkeypatch)
    assert config["timeout"] == 60
    assert config["graceful_timeout"] < 45  # the pods' terminationGracePeriodSeconds
    assert config["worker_class"] == "gthread"
    assert config["max_requests"] > 0 and config["max_requests_jitter"] > 0
    assert load(monkeypatch, GUNICORN_TIMEOUT="120")["timeout"] == 120


def test_the_worker_class_is_gthread_unless_sync_is_chosen_and_nothing_else(monkeypatch):
    assert load(monkeypatch, GUNICORN_WORKER_CLASS="sync")["worker_class"] == "sync"
    with pytest.raises(SystemExit, match="GUNICORN_WORKER_CLASS"):
        load(monkeypatch, GUNICORN_WORKER_CLASS="gevent")


def test_the_control_socket_is_off_unless_a_path_is_given(monkeypatch, tmp_path):
    assert {"control_socket", "control_socket_disable"} <= set(Config().settings)
    assert load(monkeypatch)["control_socket_disable"] is True
    socket = str(tmp_path / "gunicorn.ctl")
    config = load(monkeypatch, GUNICORN_CONTROL_SOCKET=socket)
    assert config["control_socket_disable"] is False
    assert config["control_socket"] == socket


def test_text_access_log_format_carries_the_request_id(monkeypatch):
    config = load(monkeypatch, LOG_FORMAT="text")
    assert "logger_class" not in config
    assert "request_id=%({x-request-id}o)s" in config["access_log_format"]


def test_json_access_log_is_one_parseable_object_with_the_request_id(monkeypatch):
    config = load(monkeypatch, LOG_FORMAT="json")
    cfg = Config()
    cfg.set("accesslog", "-")
    logger = config["logger_class"](cfg)
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.access_log.addHandler(handler)
    response = SimpleNamespace(status="200 OK", headers=[("X-Request-ID", "abc123")], sent=42)
    environ = {
        "REMOTE_ADDR": "203.0.113.9",
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/healthz",
        "PATH_INFO": "/healthz",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_USER_AGENT": 'agent "with quotes"',
    }
    logger.access(
        response,
        SimpleNamespace(headers=[]),
        environ,
        SimpleNamespace(seconds=0, microseconds=1500),
    )
    line = json.loads(records[-1].getMessage())
    assert line["request_id"] == "abc123"
    assert line["remote_addr"] == "203.0.113.9"
    assert line["status"] == "200"
    assert line["user_agent"] == 'agent "with quotes"'
    assert line["duration_ms"] == 1


def test_the_master_drops_its_database_connection_before_forking_workers(monkeypatch, db):
    from django.db import connection

    if connection.vendor == "sqlite":
        pytest.skip(
            "Django never closes an in-memory SQLite test database; forked workers "
            "sharing a connection is PostgreSQL's concern"
        )
    config = load(monkeypatch)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert connection.connection is not None
    config["when_ready"](SimpleNamespace())
    assert connection.connection is None or connection.connection.closed
