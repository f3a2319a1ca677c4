"""The checks of deploy/smoke.sh, run against the stack it started; prints a PASS/FAIL table.

Reads SMOKE_WORK, SMOKE_HTTP, SMOKE_HTTPS, SMOKE_APP and the production environment that
smoke.sh exported. Exit status 0 when nothing failed (SKIP is not a failure), else 1.
"""

import http.client
import json
import os
import socket
import ssl
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from email import message_from_bytes
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = Path(os.environ["SMOKE_WORK"])
HTTP = os.environ["SMOKE_HTTP"]
HTTPS = os.environ["SMOKE_HTTPS"]


class Skip(Exception):
    """The check cannot run here yet; the reason says why."""


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name: str) -> str:
        return self.headers.get(name, "")


def tls_context() -> ssl.SSLContext:
    # Verify against the smoke's own self-signed certificate, not "no verification".
    return ssl.create_default_context(cafile=str(WORK / "tls" / "tls.crt"))


def fetch(url: str, *, method: str = "GET", headers: dict | None = None) -> Response:
    """One request, redirects not followed, so each hop can be checked."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=20, context=tls_context()
        )
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request(method, path or "/", headers=headers or {})
        raw = conn.getresponse()
        return Response(raw.status, raw.headers, raw.read())
    finally:
        conn.close()


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def wait_for(probe: Callable[[], object], *, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"{what} did not happen within {seconds:.0f} s")


def gunicorn_access_lines() -> list[dict]:
    lines = []
    for line in (WORK / "gunicorn.log").read_text(errors="replace").splitlines():
        if line.startswith("{") and '"gunicorn.access"' in line:
            lines.append(json.loads(line))
    return lines


# --- the checks -----------------------------------------------------------------------------
def check_healthz() -> str:
    response = fetch(f"{HTTP}/healthz")
    expect(response.status == 200, f"status {response.status}")
    expect(json.loads(response.body) == {"status": "ok"}, f"body {response.body[:200]!r}")
    return "200 through nginx"


def check_readyz() -> str:
    response = fetch(f"{HTTPS}/readyz")
    body = json.loads(response.body)
    expect(response.status == 200, f"status {response.status}: {body}")
    expect(set(body["checks"].values()) == {"ok"}, f"checks {body['checks']}")
    return "database, cache, broker ok"


def check_static_by_nginx() -> str:
    manifest = json.loads((WORK / "static" / "staticfiles.json").read_text())["paths"]
    stylesheets = [name for name in manifest if name.endswith(".css")]
    source = next((name for name in stylesheets if name.startswith("vendor/")), stylesheets[0])
    hashed = manifest[source]
    before = len(gunicorn_access_lines())
    response = fetch(f"{HTTPS}/static/{hashed}")
    expect(response.status == 200, f"status {response.status}")
    expect(response.body == (WORK / "static" / hashed).read_bytes(), "body differs from the file")
    expect("immutable" in response.header("Cache-Control"), "no long-lived Cache-Control")
    expect(response.header("X-Content-Type-Options") == "nosniff", "no nosniff on static")
    time.sleep(0.5)
    seen = [line for line in gunicorn_access_lines()[before:] if "/static/" in line["path"]]
    expect(not seen, "gunicorn saw the static request")
    return f"/static/{hashed} from disk, gunicorn untouched"


def check_https_redirect() -> str:
    response = fetch(f"{HTTP}/", headers={"Host": "localhost"})
    expect(response.status == 301, f"plain HTTP answered {response.status}, not 301")
    expect(response.header("Location").startswith("https://"), "redirect is not to https")
    expect(not response.header("Strict-Transport-Security"), "HSTS sent over plain HTTP")
    return "http -> 301 https, no HSTS on http"


def check_security_headers() -> str:
    response = fetch(f"{HTTPS}/")
    expect(response.status == 200, f"home page status {response.status}")
    csp = response.header("Content-Security-Policy")
    expect("default-src 'self'" in csp, f"CSP missing or weak: {csp!r}")
    expect("frame-ancestors 'none'" in csp, "CSP has no frame-ancestors 'none'")
    expect(response.header("X-Content-Type-Options") == "nosniff", "no X-Content-Type-Options")
    expect(bool(response.header("Referrer-Policy")), "no Referrer-Policy")
    hsts = response.header("Strict-Transport-Security")
    expect("max-age=31536000" in hsts, f"HSTS missing over TLS: {hsts!r}")
    expect(response.header("X-Frame-Options") == "DENY", "no X-Frame-Options DENY")
    return "CSP+frame-ancestors, nosniff, Referrer-Policy, HSTS (TLS)"


def check_request_id() -> str:
    request_id = f"smoke-{uuid.uuid4().hex[:12]}"
    response = fetch(f"{HTTPS}/healthz", headers={"X-Request-ID": request_id})
    expect(response.header("X-Request-ID") == request_id, "request id not echoed")
    time.sleep(0.5)
    logged = [line for line in gunicorn_access_lines() if line.get("request_id") == request_id]
    expect(bool(logged), "request id absent from gunicorn's JSON access log")
    expect(logged[-1]["remote_addr"] == "127.0.0.1", f"client address {logged[-1]['remote_addr']}")
    minted = fetch(f"{HTTPS}/healthz").header("X-Request-ID")
    expect(len(minted) == 32, f"nginx did not mint an id: {minted!r}")
    return "echoed, in the JSON access log; nginx mints one otherwise"


def check_protected_location_internal() -> str:
    target = WORK / "media" / "protected" / "smoke" / "secret.txt"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("not for direct download\n")
    for url in (
        f"{HTTPS}/protected/protected/smoke/secret.txt",
        f"{HTTPS}/media/protected/smoke/secret.txt",
    ):
        response = fetch(url)
        expect(response.status == 404, f"{urlsplit(url).path} answered {response.status}")
        expect(b"not for direct download" not in response.body, "file content leaked")
    return "/protected/ and /media/ refuse direct requests (404)"


def check_upload_limit() -> str:
    # Announce a body bigger than the limit: nginx must refuse before reading any of it.
    parts = urlsplit(HTTP)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(
            b"POST /datasets/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\n"
            b"Content-Length: 2300000000\r\nConnection: close\r\n\r\n"
        )
        status_line = sock.recv(200).split(b"\r\n", 1)[0]
    expect(b" 413 " in status_line, f"answered {status_line!r}")
    return "2.3 GB body refused with 413 by nginx"


def setup_django() -> None:
    import django

    if not getattr(setup_django, "done", False):
        django.setup()
        setup_django.done = True


def check_worker_runs_tasks() -> str:
    setup_django()
    from django.core.cache import cache

    from apps.core.tasks import ping

    token = uuid.uuid4().hex
    ping.delay(token)
    answer = wait_for(lambda: cache.get(f"ping:{token}"), seconds=30, what="the worker's answer")
    return f"core.ping answered by {answer}"


def check_beat_schedules() -> str:
    setup_django()
    from django.core.cache import cache

    answer = wait_for(lambda: cache.get("ping:smoke-beat"), seconds=45, what="beat's periodic task")
    return f"periodic core.ping queued by beat, run by {answer}"


def check_email_by_worker() -> str:
    setup_django()
    from apps.core.tasks import send_test_email

    recipient = f"ops-{uuid.uuid4().hex[:8]}@example.org"
    send_test_email.delay(recipient)

    def delivered():
        for path in (WORK / "mail" / "new").glob("*"):
            message = message_from_bytes(path.read_bytes())
            if message["To"] == recipient:
                return message
        return None

    message = wait_for(delivered, seconds=30, what="the e-mail's arrival at the SMTP sink")
    expect(message["Subject"] == "Stratum test e-mail", f"subject {message['Subject']!r}")
    return f"SMTP sink received mail to {recipient}"


def check_protected_download() -> str:
    setup_django()
    try:
        import deploy.smoke_download as scenario
        from apps.core.guard import system_reads

        # The check builds its own world as an operator's script would: a named system read.
        with system_reads("smoke check builds its download world"):
            world = scenario.build_world()
    except ImportError as exc:
        raise Skip(
            f"not yet runnable: {exc.name or exc} missing (datasets/access work not landed)"
        ) from exc

    anonymous = scenario.Browser(HTTPS, tls_context())
    status, headers, _ = anonymous.request(world.download_url)
    expect(
        status == 302 and "/accounts/login/" in headers.get("Location", ""),
        f"anonymous got {status}",
    )

    outsider = scenario.Browser(HTTPS, tls_context())
    outsider.log_in(world.outsider_email, world.password)
    status, _, body = outsider.request(world.download_url)
    expect(status == 404 and scenario.CONTENT not in body, f"outsider got {status}")

    requester = scenario.Browser(HTTPS, tls_context())
    requester.log_in(world.requester_email, world.password)
    status, _, body = requester.request(world.download_url)
    expect(
        status == 404 and scenario.CONTENT not in body, f"requester without a grant got {status}"
    )

    with system_reads("smoke check approves its own access request as the decider"):
        scenario.approve(world)
    before = len(gunicorn_access_lines())
    status, headers, body = requester.request(world.download_url)
    expect(status == 200, f"requester with a grant got {status}")
    expect(body == scenario.CONTENT, "downloaded bytes differ from the uploaded file")
    expect("attachment" in headers.get("Content-Disposition", ""), "not sent as an attachment")
    expect(headers.get("X-Content-Type-Options") == "nosniff", "no nosniff on the download")
    time.sleep(0.5)
    app_lines = [
        line for line in gunicorn_access_lines()[before:] if line["path"] == world.download_url
    ]
    expect(len(app_lines) == 1, f"gunicorn logged {len(app_lines)} download requests")
    expect(
        str(app_lines[0]["bytes"]) in {"0", "None", "-"},
        f"gunicorn sent {app_lines[0]['bytes']} body bytes",
    )
    return f"404 without grant, 200 with grant: {len(body)} bytes from nginx, 0 from gunicorn"


CHECKS: list[tuple[str, Callable[[], str]]] = [
    ("healthz through nginx", check_healthz),
    ("readyz green through nginx", check_readyz),
    ("static served by nginx", check_static_by_nginx),
    ("plain HTTP redirects to HTTPS", check_https_redirect),
    ("security headers (TLS)", check_security_headers),
    ("request id end to end", check_request_id),
    ("protected media not directly reachable", check_protected_location_internal),
    ("upload size limit at nginx", check_upload_limit),
    ("Celery worker runs tasks", check_worker_runs_tasks),
    ("Celery beat schedules tasks", check_beat_schedules),
    ("e-mail sent by the worker", check_email_by_worker),
    ("protected download via X-Accel-Redirect", check_protected_download),
]


def main() -> int:
    results = []
    for name, check in CHECKS:
        try:
            results.append((name, "PASS", check()))
        except Skip as reason:
            results.append((name, "SKIP", str(reason)))
        except Exception as exc:
            results.append((name, "FAIL", f"{type(exc).__name__}: {exc}"))
    width = max(len(name) for name, _, _ in results)
    print()
    print(f"{'check'.ljust(width)}  result  detail")
    print(f"{'-' * width}  ------  {'-' * 50}")
    for name, status, detail in results:
        print(f"{name.ljust(width)}  {status.ljust(6)}  {detail}")
    failed = sum(status == "FAIL" for _, status, _ in results)
    passed = sum(status == "PASS" for _, status, _ in results)
    skipped = sum(status == "SKIP" for _, status, _ in results)
    print()
    print(f"smoke: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
