"""deploy/backup.sh + deploy/restore.sh round trip on the real PostgreSQL: counts match."""

import os
import shutil
import socket
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

from tests.deploy.conftest import DEPLOY

pytestmark = pytest.mark.services

TABLES = {"organisation": 7, "person": 120, "audit_event": 2500}
PASSWORD = "manifest-must-not-show-this"


def server_url() -> str | None:
    """postgres://user@host:port of the server the suite uses, when it is PostgreSQL."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        return None
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"


def postgres_available() -> str | None:
    url = server_url()
    if url is None or not all(shutil.which(tool) for tool in ("psql", "pg_dump", "pg_restore")):
        return None
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=1).close()
    except OSError:
        return None
    return url


@pytest.fixture
def server():
    url = postgres_available()
    if url is None:
        if os.environ.get("REQUIRE_SERVICES"):
            pytest.fail("REQUIRE_SERVICES is set but PostgreSQL (or its client tools) is absent")
        pytest.skip("PostgreSQL or psql/pg_dump/pg_restore absent")
    return url


def psql(url: str, sql: str) -> str:
    result = subprocess.run(
        ["psql", url, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture
def make_database(server):
    created = []

    def make() -> str:
        name = f"stratum_deploy_restore_{uuid.uuid4().hex[:10]}"
        psql(f"{server}/postgres", f'CREATE DATABASE "{name}"')
        created.append(name)
        return f"{server}/{name}"

    yield make
    for name in created:
        psql(f"{server}/postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fill(url: str) -> None:
    psql(
        url,
        """
        CREATE TABLE organisation (id uuid PRIMARY KEY, name text NOT NULL, details jsonb);
        CREATE TABLE person (id bigserial PRIMARY KEY, email text UNIQUE NOT NULL,
                             organisation_id uuid REFERENCES organisation(id));
        CREATE TABLE audit_event (id bigserial PRIMARY KEY, person_id bigint REFERENCES person(id),
                                  action text NOT NULL, at timestamptz NOT NULL DEFAULT now());
        CREATE INDEX audit_event_action_idx ON audit_event (action);
        INSERT INTO organisation
            SELECT gen_random_uuid(), 'Organisation ' || g, jsonb_build_object('rank', g)
            FROM generate_series(1, 7) g;
        INSERT INTO person (email, organisation_id)
            SELECT 'person' || g || '@example.org', (SELECT id FROM organisation ORDER BY name LIMIT 1)
            FROM generate_series(1, 120) g;
        INSERT INTO audit_event (person_id, action)
            SELECT 1 + g % 120, 'dataset.download' FROM generate_series(1, 2500) g;
        """,
    )


def counts(url: str) -> dict[str, int]:
    # Table names come from the TABLES constant above, never from input.
    return {table: int(psql(url, f"SELECT count(*) FROM {table}")) for table in TABLES}  # noqa: S608


def run(script: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(DEPLOY / script), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def media(tmp_path) -> Path:
    root = tmp_path / "media"
    (root / "protected" / "datasets.datasetfile").mkdir(parents=True)
    (root / "protected" / "datasets.datasetfile" / "0190a1b2").write_bytes(os.urandom(50_000))
    (root / "protected" / "documents.protocolversion").mkdir()
    (root / "protected" / "documents.protocolversion" / "0190c3d4").write_text("protocol v1\n")
    return root


@pytest.fixture
def backup(make_database, media, tmp_path):
    source = make_database()
    fill(source)
    # A password in the URL (ignored by a trust-auth server) that MANIFEST must mask.
    with_password = (
        source
        if ":" in urlsplit(source).netloc.split("@")[0]
        else source.replace("@", f":{PASSWORD}@", 1)
    )
    result = run(
        "backup.sh",
        DATABASE_URL=with_password,
        MEDIA_ROOT=str(media),
        BACKUP_DIR=str(tmp_path / "backups"),
    )
    assert result.returncode == 0, result.stderr
    return source, Path(result.stdout.strip().splitlines()[-1])


def test_a_backup_restores_into_a_fresh_database_with_matching_counts(
    backup, make_database, media, tmp_path
):
    source, directory = backup
    assert sorted(p.name for p in directory.iterdir()) == [
        "MANIFEST",
        "SHA256SUMS",
        "database.dump",
        "media.tar.gz",
    ]
    target = make_database()
    restored_media = tmp_path / "restored-media"

    result = run("restore.sh", str(directory), DATABASE_URL=target, MEDIA_ROOT=str(restored_media))

    assert result.returncode == 0, result.stderr
    assert counts(target) == counts(source) == TABLES
    # Constraints, indexes and sequences came back too: the next id follows the last one.
    assert (
        psql(target, "SELECT count(*) FROM pg_indexes WHERE indexname = 'audit_event_action_idx'")
        == "1"
    )
    assert (
        psql(target, "INSERT INTO person (email) VALUES ('new@example.org') RETURNING id") == "121"
    )
    for path in media.rglob("*"):
        if path.is_file():
            assert (restored_media / path.relative_to(media)).read_bytes() == path.read_bytes()


def test_restore_refuses_a_database_that_already_has_tables(backup):
    source, directory = backup
    result = run("restore.sh", str(directory), "--no-media", DATABASE_URL=source)
    assert result.returncode != 0
    assert "already has 3 tables" in result.stderr
    assert counts(source) == TABLES


def test_restore_refuses_a_damaged_backup_before_touching_the_database(backup, make_database):
    _, directory = backup
    with (directory / "database.dump").open("ab") as dump:
        dump.write(b"corruption")
    target = make_database()
    result = run("restore.sh", str(directory), "--no-media", DATABASE_URL=target)
    assert result.returncode != 0
    assert "checksum mismatch" in result.stderr
    assert psql(target, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == "0"


def test_old_backups_are_pruned_but_the_newest_are_kept(backup, media, tmp_path):
    source, _ = backup
    backups = tmp_path / "backups"
    for day in range(1, 6):
        old = backups / f"stratum-2026010{day}T020000Z"
        old.mkdir()
        os.utime(old, (0, 0))  # 1970: long expired
    result = run(
        "backup.sh",
        DATABASE_URL=source,
        MEDIA_ROOT=str(media),
        BACKUP_DIR=str(backups),
        BACKUP_KEEP_DAYS="14",
        BACKUP_KEEP_MIN="3",
    )
    assert result.returncode == 0, result.stderr
    remaining = sorted(p.name for p in backups.iterdir())
    # The two fresh backups, plus the newest expired one to make up the minimum of three.
    assert len(remaining) == 3
    assert "stratum-20260105T020000Z" in remaining
    assert "stratum-20260101T020000Z" not in remaining


def test_a_failed_backup_leaves_nothing_that_looks_like_a_backup(server, tmp_path):
    result = run(
        "backup.sh",
        DATABASE_URL="postgres://stratum@127.0.0.1:1/nowhere",
        BACKUP_DIR=str(tmp_path / "b"),
    )
    assert result.returncode != 0, "no server on port 1: the backup must fail"
    assert not list((tmp_path / "b").iterdir())


def test_the_manifest_never_records_the_database_password(backup):
    _, directory = backup
    manifest = (directory / "MANIFEST").read_text()
    assert "database=postgres://" in manifest
    assert PASSWORD not in manifest
