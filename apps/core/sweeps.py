"""Sweeping every temporary location an upload can leave behind.

An upload in progress writes to a temporary place first; a process killed mid-upload (kill -9,
OOM, a lost node) or a client that never comes back leaves it there. Each kind of temporary
location registers one sweeper here, and the beat task `core.sweep_temporary_uploads` runs them
all, so a new kind of temporary upload cannot be added without its sweep (docs/celery.md).

Age: anything untouched for `STRATUM_UPLOAD_TEMP_MAX_AGE` seconds (default 2 hours) is
abandoned. A live upload keeps its temporary file's modification time fresh with every chunk it
writes, so only a dead or stalled one is ever that old.
"""

import contextlib
import os
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from django.conf import settings

# name -> sweeper(older_than, dry_run) -> the paths or keys it removed (or would remove).
Sweeper = Callable[[timedelta, bool], list[str]]
TEMPORARY_LOCATIONS: dict[str, Sweeper] = {}


def temporary_location(name: str):
    """Register a sweeper for one kind of temporary upload location."""

    def register(sweeper: Sweeper) -> Sweeper:
        TEMPORARY_LOCATIONS[name] = sweeper
        return sweeper

    return register


def temporary_max_age() -> timedelta:
    return timedelta(seconds=settings.STRATUM_UPLOAD_TEMP_MAX_AGE)


def remove_old_files(root: Path, older_than: timedelta, dry_run: bool) -> list[str]:
    """Delete files under `root` not modified for `older_than`, then the empty folders left."""
    if not root.is_dir():
        return []
    cutoff = time.time() - older_than.total_seconds()
    removed = []
    for path in sorted(root.rglob("*"), reverse=True):  # children before their folders
        try:
            if path.is_file() or path.is_symlink():
                if path.lstat().st_mtime < cutoff:
                    if not dry_run:
                        path.unlink()
                    removed.append(str(path))
            elif path.is_dir() and not dry_run and path.lstat().st_mtime < cutoff:
                with contextlib.suppress(OSError):  # not empty: a live upload's folder
                    os.rmdir(path)
        except FileNotFoundError:
            continue  # finished (or swept) meanwhile
    return removed


@temporary_location("uploads-tmp")
def sweep_upload_temp_dir(older_than: timedelta, dry_run: bool) -> list[str]:
    """Bodies streamed through the server (`FILE_UPLOAD_TEMP_DIR`): a worker killed mid-upload
    never reaches the code that deletes them."""
    return remove_old_files(Path(settings.FILE_UPLOAD_TEMP_DIR), older_than, dry_run)


def sweep_temporary_uploads(
    *, older_than: timedelta | None = None, dry_run: bool = False
) -> dict[str, list[str]]:
    """Run every registered sweeper; {location: removed paths or keys}."""
    age = temporary_max_age() if older_than is None else older_than
    return {name: sweeper(age, dry_run) for name, sweeper in TEMPORARY_LOCATIONS.items()}
