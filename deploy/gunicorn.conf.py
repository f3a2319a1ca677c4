"""gunicorn settings for Stratum in production (`gunicorn -c deploy/gunicorn.conf.py portal.wsgi`).

Every value can be overridden from the environment so one image fits a laptop, a VM and a pod:
GUNICORN_BIND, GUNICORN_WORKERS, GUNICORN_WORKER_CLASS, GUNICORN_THREADS, GUNICORN_TIMEOUT,
GUNICORN_GRACEFUL_TIMEOUT,
GUNICORN_KEEPALIVE, GUNICORN_MAX_REQUESTS, GUNICORN_ACCESS_LOG, GUNICORN_CONTROL_SOCKET,
LOG_FORMAT (json|text).
"""

import json
import multiprocessing
import os
import time

from gunicorn.glogging import Logger


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def default_workers() -> int:
    """(2 x cores) + 1, capped: each worker holds a DB pool and ~110 MB resident, and uploads stream to disk.

    In a container the CPU count is the host's, not the pod's limit, so Kubernetes manifests set
    GUNICORN_WORKERS explicitly; the cap keeps a big host from starting dozens of workers.
    """
    return min(multiprocessing.cpu_count() * 2 + 1, _env_int("GUNICORN_MAX_WORKERS", 12))


bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
workers = _env_int("GUNICORN_WORKERS", default_workers())
# gthread (default): a slow client or a long streamed response (exports, the change feed) does
# not pin a whole process, and the timeout watches the worker, not each request. `sync` takes a
# connection only when the process is idle, so requests spread evenly over the processes: at
# saturation on 2 cores it cut p95 by a third to a half at the same throughput (docs/benchmarks.md),
# but each request then holds a process and a request longer than the timeout is killed.
WORKER_CLASSES = ("gthread", "sync")
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
if worker_class not in WORKER_CLASSES:
    raise SystemExit(f"GUNICORN_WORKER_CLASS must be one of {', '.join(WORKER_CLASSES)}")
threads = _env_int("GUNICORN_THREADS", 4)
# Uploads of up to 2 GiB are buffered by nginx before they reach gunicorn, so 60 s is ample for
# the app to stream a buffered body to storage; raise it for slow object stores.
timeout = _env_int("GUNICORN_TIMEOUT", 60)
# Kubernetes sends SIGTERM and waits terminationGracePeriodSeconds (45 s) before SIGKILL.
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _env_int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then so a slow leak in a dependency never takes a replica down.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", 200)
# Import the app before forking: faster starts and copy-on-write memory sharing.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"
# /dev/shm keeps the heartbeat off slow or read-only container filesystems.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# Only the local nginx may vouch for https (X-Forwarded-Proto); a direct caller is not believed.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# gunicorn >= 25.1 opens a control socket for `gunicornc`, by default under $HOME: the image's
# home (/app) is read-only to the app user, so every start of the built image logged "Control
# server error: Permission denied: '/app/.gunicorn'". Nothing in Stratum's deployment uses
# gunicornc: it is off unless GUNICORN_CONTROL_SOCKET names a path the app user can write.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
limit_request_line = 8190
limit_request_fields = 100

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Text format: Apache combined plus the request id (set by RequestIdMiddleware on the response,
# taken from nginx's X-Request-ID) and the duration in milliseconds.
access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" '
    "request_id=%({x-request-id}o)s duration_ms=%(M)s"
)


class JsonAccessLogger(Logger):
    """One JSON object per request, matching the app's JSON log lines (apps.core.logging)."""

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        atoms = self.atoms_wrapper_class(self.atoms(resp, req, environ, request_time))
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "level": "INFO",
            "logger": "gunicorn.access",
            "request_id": atoms["{x-request-id}o"],
            "remote_addr": atoms["h"],
            "method": atoms["m"],
            "path": atoms["U"],
            "query": atoms["q"],
            "status": atoms["s"],
            "bytes": atoms["B"],
            "duration_ms": atoms["M"],
            # Raw values: gunicorn's atoms escape quotes for the text format; json.dumps escapes.
            "referer": environ.get("HTTP_REFERER", ""),
            "user_agent": environ.get("HTTP_USER_AGENT", ""),
        }
        try:
            self.access_log.info(json.dumps(entry, default=str))
        except Exception:
            self.exception("could not write the access log line")


if os.environ.get("LOG_FORMAT", "json") == "json":
    logger_class = JsonAccessLogger


def when_ready(server):
    """After preloading, before forking: drop any database connection or psycopg pool the
    master opened while importing the app, so no worker inherits its sockets or pool threads."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        if hasattr(connection, "close_pool"):
            connection.close_pool()
        connection.close()
