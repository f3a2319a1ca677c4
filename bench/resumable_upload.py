#!/usr/bin/env python
"""A big file uploaded in parts straight to S3-compatible storage, cut at about half way and
resumed (issue 21, acceptance 1).

    .venv/bin/python bench/resumable_upload.py --size-gib 20          # the acceptance size
    .venv/bin/python bench/resumable_upload.py --size-gib 2 --part-mib 64
    .venv/bin/python bench/resumable_upload.py --storage local --size-gib 20

`--storage local` runs the same protocol on local file storage (`make run`'s): no S3 server;
the part URLs point at Stratum itself, which keeps the parts on disk under VAR_DIR (a temporary
folder here, removed at the end) and concatenates them on completion. It needs about twice the
file's size of free disk at completion (parts and the assembled file).

1. Starts a local S3 HTTP API (tools/s3_server.py: moto's server mode, objects on disk) and
   Stratum under gunicorn (one sync worker) on S3 storage, on its own database
   (stratum_upload_bench).
2. Generates the file on the fly, never stored: part k is a deterministic CSV block, so the
   SHA-256 can be computed first (one pass) and every part re-read at any time.
3. Uploads with docs/sync_client.py's `upload_resumable`; after half the parts the client's
   connection is cut (it raises mid-transfer, as a dropped link does); run again, it asks the
   server which parts the bucket holds and sends only the others; Stratum completes, reads the
   object once to check the SHA-256 (a Celery worker does, above 1 GiB), and records the file.
4. Prints parts sent before and after the cut (none twice), the time and throughput, whether
   the stored SHA-256 matches, and the RSS growth (sampled every 50 ms) of the gunicorn worker
   and of the Celery worker (`--pool solo`, on its own Redis database) that assembles and checks
   a file above 1 GiB while the client polls (docs/files.md).

The S3 server is tools/s3_server.py (moto's server, patched so that completing an upload and
GET stream the object from disk instead of holding it in memory): it needs about twice the
file's size of free disk under the temporary folder (the parts and the assembled object), and
little memory. Stratum's own memory does not depend on the size: that is what this measures.
"""

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = ROOT / ".venv" / "bin"
MIB = 1024**2


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-gib", type=float, default=20)
    parser.add_argument("--part-mib", type=int, default=64)
    parser.add_argument("--storage", choices=("s3", "local"), default="s3")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/stratum_upload_bench"
    )
    port = os.environ.get("TEST_REDIS_PORT", "6379")
    parser.add_argument(
        "--redis-url",
        default=f"redis://127.0.0.1:{port}/14",
        help="the broker of the Celery worker that checks files above 1 GiB",
    )
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class GeneratedCsv:
    """`size` bytes of CSV made on the fly in 1 MiB blocks of 64-byte lines, each block starting
    with its own number (so the content is not periodic and any range is cheap to make)."""

    name = "generated-cohort.csv"

    def __init__(self, size: int):
        self.size = size
        self._sha: str | None = None
        line = b"0" * 12 + b"," + b"x" * 50 + b"\n"  # 64 bytes
        self._template = line * (MIB // 64)

    def _block(self, k: int) -> bytes:
        prefix = b"%012d," % k
        return prefix + self._template[len(prefix) :]

    def read(self, offset: int, length: int) -> bytes:
        length = min(length, self.size - offset)
        first, last = offset // MIB, (offset + length - 1) // MIB
        data = b"".join(self._block(k) for k in range(first, last + 1))
        start = offset - first * MIB
        return data[start : start + length]

    def sha256(self) -> str:
        if self._sha is None:
            digest = hashlib.sha256()
            for offset in range(0, self.size, 64 * MIB):
                digest.update(self.read(offset, 64 * MIB))
            self._sha = digest.hexdigest()
        return self._sha


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class RssSampler(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, rss_kib(pid), threading.Event()
        self.first = self.peak

    def run(self) -> None:
        while not self.stop.wait(0.05):
            try:
                self.peak = max(self.peak, rss_kib(self.pid))
            except (FileNotFoundError, ProcessLookupError):
                return


def gunicorn_worker(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return int(children[0])


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # answering
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer")


def main() -> int:
    args = parse()
    size = int(args.size_gib * 1024**3)
    s3_port, web_port = free_port(), free_port()
    s3_url = f"http://127.0.0.1:{s3_port}"
    bucket = "stratum-bench"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": args.database_url,
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": s3_url,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "MULTIPART_PART_BYTES": str(args.part_mib * MIB),
        "MULTIPART_UPLOAD_MAX_BYTES": str(max(size, 200 * 1024**3)),
        "X_ACCEL_REDIRECT_PREFIX": "",
        "REDIS_URL": args.redis_url,
        "PYTHONPATH": str(ROOT),
    }
    moto_dir = tempfile.mkdtemp(prefix="moto-bench-")
    if args.storage == "local":
        for name in ("AWS_STORAGE_BUCKET_NAME", "AWS_S3_ENDPOINT_URL"):
            env.pop(name)
        # Parts and the assembled file on disk, in a folder removed at the end.
        env["VAR_DIR"] = moto_dir
        env["UPLOAD_MAX_BYTES"] = str(max(size, 2 * 1024**3))
    for name in ("AWS_STORAGE_BUCKET_NAME", "AWS_S3_ENDPOINT_URL"):
        os.environ.pop(name, None)
    os.environ.update(env)
    moto = None
    if args.storage == "s3":
        s3_address = ("-H", "127.0.0.1", "-p", str(s3_port))
        moto = subprocess.Popen(
            [str(BIN / "python"), str(ROOT / "tools" / "s3_server.py"), *s3_address],
            cwd=moto_dir,
            env={**env, "TMPDIR": moto_dir},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    web = worker = None
    try:
        if moto is not None:
            wait_http(s3_url)
            import boto3

            boto3.client(
                "s3",
                endpoint_url=s3_url,
                region_name="us-east-1",
                aws_access_key_id="bench",
                aws_secret_access_key="bench",  # noqa: S106 (the local test server's)
            ).create_bucket(Bucket=bucket)
        dataset_id, token = prepare(args.database_url)
        web = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "portal.wsgi",
                "--bind",
                f"127.0.0.1:{web_port}",
                "--workers",
                "1",
                "--timeout",
                "3600",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(Path(moto_dir) / "gunicorn.log", "wb"),  # noqa: SIM115
            start_new_session=True,
        )
        # Files above MULTIPART_VERIFY_INLINE_BYTES (1 GiB) are assembled and checked by a task.
        worker_options = ("--pool", "solo", "--loglevel", "WARNING", "-n", f"bench-{web_port}@%h")
        worker = subprocess.Popen(
            [str(BIN / "celery"), "-A", "portal", "worker", *worker_options],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(Path(moto_dir) / "celery.log", "wb"),  # noqa: SIM115
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{web_port}"
        wait_http(base + "/api/v1/")
        time.sleep(5)  # the worker's imports, before its baseline is taken
        pids = {"gunicorn worker": gunicorn_worker(web.pid), "Celery worker": worker.pid}
        return run(base, token, dataset_id, size, pids, moto.pid if moto else None)
    finally:
        for process in (web, worker, moto):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
        # The S3 server's spooled parts, or (local storage) the parts and the stored file.
        shutil.rmtree(moto_dir, ignore_errors=True)


def prepare(database_url: str) -> tuple[str, str]:
    """A project with a coordinator who may add files to a dataset; a write token."""
    sys.path.insert(0, str(ROOT / "bench"))
    from fanout import ensure_database

    ensure_database(database_url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from apps.core.guard import system_reads

    # Factories build the benchmark's own world (they may look rows up): a named system read.
    with system_reads("benchmark builds its own upload world"):
        return _bench_world()


def _bench_world() -> tuple[str, str]:
    from apps.api.tokens import api_token_create
    from apps.projects.models import MembershipRole, PartnerRole
    from tests.accounts.factories import UserFactory
    from tests.datasets.factories import DatasetFactory
    from tests.organisations.factories import AffiliationFactory, OrganisationFactory
    from tests.projects.factories import MembershipFactory, PartnerFactory, ProjectFactory

    run = uuid.uuid4().hex[:8]  # the factories' sequences restart with every run
    org = OrganisationFactory(name=f"Bench {run}", slug=f"bench-{run}")
    project = ProjectFactory(title=f"Bench {run}", slug=f"bench-{run}", acronym=f"B{run[:6]}")
    PartnerFactory(project=project, organisation=org, role=PartnerRole.LEAD)
    user = UserFactory(email=f"bench-{run}@upload.bench")
    AffiliationFactory(user=user, organisation=org)
    MembershipFactory(project=project, user=user, organisation=org, role=MembershipRole.COORDINATOR)
    dataset = DatasetFactory(project=project, steward_organisation=org)
    token = api_token_create(user=user, name="bench", scopes=("read", "write"), expires_days=1)
    return str(dataset.pk), token.plaintext


def run(base: str, token: str, dataset_id: str, size: int, pids: dict, s3_pid) -> int:
    import importlib.util

    spec = importlib.util.spec_from_file_location("sync_client", ROOT / "docs" / "sync_client.py")
    client = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(client)

    source = GeneratedCsv(size)
    started = time.perf_counter()
    sha = source.sha256()
    hashing = time.perf_counter() - started
    print(f"file: {size / 1024**3:.2f} GiB generated on the fly, SHA-256 {sha} ({hashing:.0f} s)")
    samplers = {name: RssSampler(pid) for name, pid in pids.items()}
    for sampler in samplers.values():
        sampler.start()
    s3_sampler = RssSampler(s3_pid) if s3_pid else None
    if s3_sampler is not None:
        s3_sampler.start()
    state_dir = tempfile.mkdtemp(prefix="stratum-upload-")
    state = str(Path(state_dir) / "state.json")
    sent_before, sent_after = [], []
    total_parts = [0]

    def cut_half_way(number):
        sent_before.append(number)
        if total_parts[0] == 0:
            upload_id = json.loads(Path(state).read_text())["upload"]
            total_parts[0] = client.call_json(
                "GET", f"{base}/api/v1/file-uploads/{upload_id}/", token
            )["part_count"]
        if len(sent_before) >= total_parts[0] // 2:
            raise ConnectionResetError("connection cut half way")

    started = time.perf_counter()
    with contextlib.suppress(ConnectionResetError):
        client.upload_resumable(base, token, dataset_id, source, state, cut_half_way)
    cut_at = time.perf_counter() - started
    resumed = time.perf_counter()
    last_part = [resumed]

    def sent(number):
        sent_after.append(number)
        last_part[0] = time.perf_counter()

    stored = client.upload_resumable(base, token, dataset_id, source, state, sent, poll_seconds=1)
    elapsed = time.perf_counter() - started
    completing = time.perf_counter() - last_part[0]
    after_resume = time.perf_counter() - resumed
    for one in (*samplers.values(), s3_sampler):
        if one is not None:
            one.stop.set()
            one.join()
    shutil.rmtree(state_dir, ignore_errors=True)
    twice = sorted(set(sent_before) & set(sent_after))
    gib = size / 1024**3
    print(f"parts: {total_parts[0]}; sent before the cut {len(sent_before)} ({cut_at:.0f} s)")
    print(f"       after resuming {len(sent_after)}; sent twice: {twice or 'none'}")
    print(
        f"time: {elapsed:.0f} s in all (resume and completion {after_resume:.0f} s, of which "
        f"the server's SHA-256 pass is part); throughput {gib * 1024 / elapsed:.0f} MiB/s"
    )
    print(
        f"      completing (the store assembling the parts, then the SHA-256 pass, in the "
        f"request up to 1 GiB, by the Celery worker above, polled every second): "
        f"{completing:.0f} s"
    )
    if s3_sampler is not None:
        print(
            f"S3 server RSS: {s3_sampler.first / 1024:.0f} MB at the start, "
            f"peak {s3_sampler.peak / 1024:.0f} MB"
        )
    print(f"stored SHA-256 {stored['sha256']} matches: {stored['sha256'] == sha}")
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    growth_mb = {}
    for name, sampler in samplers.items():
        growth_mb[name] = (sampler.peak - sampler.first) / 1024
        print(
            f"{name} RSS: {sampler.first / 1024:.0f} MB before, peak {sampler.peak / 1024:.0f} MB"
            f" (growth {growth_mb[name]:.1f} MB)"
        )
    ok = stored["sha256"] == sha and not twice and max(growth_mb.values()) < 64
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
