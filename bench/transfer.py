"""The 1 GiB upload and download scenario of bench/run.py (issue 8): MB/s each way, RSS growth.

The upload goes through the site's real path, the dataset file upload form
(`/datasets/<id>/files/upload/`, session cookie and CSRF token, multipart body), streamed from
a generator so the client never holds the file: a deterministic CSV-like block repeated to the
requested size. The client hashes what it sends and checks that the server stored the same
SHA-256. The download goes through the app's download view (`FileResponse`, which gunicorn
serves with sendfile); the client hashes what it receives and compares. Optionally the same
download through nginx with deploy/nginx/stratum.conf and X-Accel-Redirect, as in production.
"""

import hashlib
import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
BLOCK = b"".join(
    f"{i:08d},cohort-{i % 97:02d},{(i * 7919) % 100000:05d},biomarker-{i % 13}\n".encode()
    for i in range(MIB // 40)
)[:MIB]
FILE_NAME = "bench-transfer.csv"


@dataclass
class Transfer:
    direction: str
    path: str
    bytes: int
    seconds: float
    sha256: str
    status: int
    rss_growth_mb: float = 0.0
    rss_peak_mb: float = 0.0
    error: str = ""

    @property
    def mb_per_s(self) -> float:
        return self.bytes / MIB / self.seconds if self.seconds else 0.0


def _connection(base: str, timeout: float = 600) -> http.client.HTTPConnection:
    parts = urllib.parse.urlsplit(base)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)


def _csrf(base: str, path: str, session: str) -> tuple[str, str]:
    """The CSRF cookie and the form's token, from the upload page (GET, signed in)."""
    connection = _connection(base, timeout=60)
    connection.request("GET", path, headers={"Cookie": f"sessionid={session}"})
    response = connection.getresponse()
    html = response.read().decode("utf-8", "replace")
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"GET {path} answered {response.status}")
    cookie = next(
        (
            value.split(";", 1)[0].split("=", 1)[1]
            for name, value in response.getheaders()
            if name.lower() == "set-cookie" and value.startswith("csrftoken=")
        ),
        "",
    )
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if not cookie or token is None:
        raise RuntimeError(f"GET {path}: no CSRF cookie or token")
    return cookie, token.group(1)


def _body(size: int, boundary: str, hasher) -> tuple[int, object]:
    """(Content-Length, chunk iterator) of a multipart body whose `file` part is `size` bytes."""
    head = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{FILE_NAME}"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def chunks():
        yield head
        left = size
        while left > 0:
            piece = BLOCK if left >= len(BLOCK) else BLOCK[:left]
            hasher.update(piece)
            left -= len(piece)
            yield piece
        yield tail

    return len(head) + size + len(tail), chunks()


def upload(base: str, dataset_id: str, session: str, size: int) -> Transfer:
    """Stream a `size`-byte file through the dataset upload form; 302 means stored."""
    path = f"/datasets/{dataset_id}/files/upload/"
    cookie, token = _csrf(base, path, session)
    boundary = "stratum-bench-" + os.urandom(8).hex()
    hasher = hashlib.sha256()
    length, chunks = _body(size, boundary, hasher)
    connection = _connection(base)
    started = time.perf_counter()
    connection.putrequest("POST", path)
    for name, value in {
        "Cookie": f"sessionid={session}; csrftoken={cookie}",
        "X-CSRFToken": token,
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Content-Length": str(length),
    }.items():
        connection.putheader(name, value)
    connection.endheaders()
    for chunk in chunks:
        connection.send(chunk)
    response = connection.getresponse()
    response.read()
    seconds = time.perf_counter() - started
    connection.close()
    error = "" if response.status == 302 else f"upload answered {response.status}"
    return Transfer("upload", path, size, seconds, hasher.hexdigest(), response.status, error=error)


def download(base: str, path: str, session: str, expected_sha256: str) -> Transfer:
    """GET `path`, hashing the body as it arrives, never holding it."""
    connection = _connection(base)
    hasher, received = hashlib.sha256(), 0
    buffer = bytearray(MIB)
    view = memoryview(buffer)
    started = time.perf_counter()
    connection.request("GET", path, headers={"Cookie": f"sessionid={session}"})
    response = connection.getresponse()
    while True:
        count = response.readinto(buffer)
        if not count:
            break
        hasher.update(view[:count])
        received += count
    seconds = time.perf_counter() - started
    connection.close()
    digest = hasher.hexdigest()
    error = ""
    if response.status != 200:
        error = f"download answered {response.status}"
    elif digest != expected_sha256:
        error = f"download SHA-256 {digest[:12]}… differs from the upload's {expected_sha256[:12]}…"
    return Transfer("download", path, received, seconds, digest, response.status, error=error)


def stored_file(base: str, dataset_id: str, session: str) -> tuple[str, str]:
    """(download path, SHA-256 the server shows) of the one file on the dataset's page."""
    connection = _connection(base, timeout=60)
    connection.request(
        "GET", f"/datasets/{dataset_id}/", headers={"Cookie": f"sessionid={session}"}
    )
    html = connection.getresponse().read().decode("utf-8", "replace")
    connection.close()
    link = re.search(rf"/datasets/{dataset_id}/files/[0-9a-f-]{{36}}/download/", html)
    digests = re.findall(r"\b[0-9a-f]{64}\b", html)
    return (link.group(0) if link else ""), (digests[0] if digests else "")


# --- Setup and clean-up through manage.py -------------------------------------------------------
SETUP = """
from apps.accounts.models import User
from apps.core.models import AccessTier
from apps.datasets.models import Dataset, DatasetStatus
from apps.projects.models import Project
user = User.objects.get(email={email!r})
project = Project.objects.get(slug={project!r})
org = user.affiliations.filter(ended_at__isnull=True).first().organisation
dataset, _ = Dataset.objects.get_or_create(
    project=project, title="Benchmark transfer",
    defaults=dict(steward_organisation=org, access_tier=AccessTier.CONSORTIUM,
                  status=DatasetStatus.PUBLISHED))
# What an interrupted earlier run may have left.
for row in dataset.files.filter(file_name={name!r}):
    row.file.delete(save=False)
    row.delete()
print(dataset.pk)
"""

# Removes what the run uploaded (rows and bytes), so repeated runs leave nothing behind.
CLEAN = """
from apps.datasets.models import DatasetFile
for row in DatasetFile.objects.filter(dataset_id={dataset!r}, file_name={name!r}):
    row.file.delete(save=False)
    row.delete()
print("ok")
"""


# --- nginx in front, as deploy/smoke.sh runs it -------------------------------------------------
class Nginx:
    """Debian's nginx with deploy/nginx/stratum.conf on loopback, proxying to `upstream`."""

    def __init__(self, upstream: str, port: int, media_root: str, static_root: str):
        self.upstream, self.port = upstream, port
        self.media_root, self.static_root = media_root, static_root
        self.work = Path(tempfile.mkdtemp(prefix="stratum-bench-nginx-"))
        self.process = None

    @staticmethod
    def available() -> str:
        return shutil.which("nginx") or (
            "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else ""
        )

    def __enter__(self):
        os.chmod(self.work, 0o755)  # noqa: S103 - nginx's unprivileged workers read below it
        values = {
            "NGINX_SERVER_NAME": "localhost 127.0.0.1",
            "NGINX_HTTP_PORT": f"127.0.0.1:{self.port}",
            "NGINX_HTTPS_PORT": f"127.0.0.1:{self.port + 1}",
            "NGINX_TLS_INCLUDE": str(self.work / "no-tls.snippet"),
            "NGINX_TLS_CERTIFICATE": "/dev/null",
            "NGINX_TLS_CERTIFICATE_KEY": "/dev/null",
            "NGINX_UPSTREAM": self.upstream,
            "NGINX_STATIC_ROOT": self.static_root,
            "NGINX_MEDIA_ROOT": self.media_root,
            "NGINX_TRUSTED_PROXY_CIDR": "127.0.0.1/32",
            "NGINX_CLIENT_MAX_BODY_SIZE": "2064m",
        }
        subprocess.run(
            [sys.executable, "deploy/render_nginx.py", "deploy/nginx", str(self.work)],
            cwd=ROOT,
            env={**os.environ, **values},
            check=True,
        )
        (self.work / "logs").mkdir()
        (self.work / "nginx.conf").write_text(
            f"""worker_processes 1;
pid {self.work}/nginx.pid;
error_log {self.work}/logs/error.log warn;
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    access_log off;
    client_body_temp_path {self.work}/client_body;
    proxy_temp_path {self.work}/proxy;
    fastcgi_temp_path {self.work}/fastcgi;
    uwsgi_temp_path {self.work}/uwsgi;
    scgi_temp_path {self.work}/scgi;
    include {self.work}/stratum.conf;
}}
"""
        )
        command = [self.available(), "-p", str(self.work), "-c", str(self.work / "nginx.conf")]
        self.process = subprocess.Popen(
            [*command, "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(50):
            try:
                connection = _connection(f"http://127.0.0.1:{self.port}", timeout=1)
                connection.request("GET", "/healthz")
                connection.getresponse().read()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"nginx did not start: see {self.work}/logs/error.log")

    def __exit__(self, *exc):
        if self.process is not None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.work, ignore_errors=True)
