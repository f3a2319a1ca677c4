"""Sweeping every temporary location an upload can leave behind.

An upload in progress writes to a temporary place first; a process killed mid-upload (kill -9,
OOM, a lost node) or a client that never comes back leaves it there. Each kind of temporary
location registers one sweeper here, and the beat task `core.sweep_temporary_uploads` runs them
all, so a new kind of temporary upload cannot be added without its sweep (docs/celery.md).

Age: anything untouched for `STRATUM_UPLOAD_TEMP_MAX_AGE` seconds (default 2 hours) is
abandoned. A live upload keeps its temporary file's modification time fresh with every chunk it
writes (and a multipart upload its row with every part URL it asks for), so only a dead or
stalled one is ever that old. Multipart uploads in the bucket with no live row go after
`STRATUM_MULTIPART_ORPHAN_AGE` (default a day) since they started.
"""

import contextlib
import os
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from django.conf import settings

# name -> (sweeper(older_than, dry_run) -> the paths or keys it removed (or would remove),
#          the setting naming its default age in seconds)
Sweeper = Callable[[timedelta, bool], list[str]]
TEMPORARY_LOCATIONS: dict[str, tuple[Sweeper, str]] = {}


def temporary_location(name: str, *, age_setting: str = "STRATUM_UPLOAD_TEMP_MAX_AGE"):
    """Register a sweeper for one kind of temporary upload location."""

    def register(sweeper: Sweeper) -> Sweeper:
        TEMPORARY_LOCATIONS[name] = (sweeper, age_setting)
        return sweeper

    return register


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


@temporary_location("s3-incomplete-multipart", age_setting="STRATUM_MULTIPART_ORPHAN_AGE")
def sweep_incomplete_multipart(older_than: timedelta, dry_run: bool) -> list[str]:
    """Multipart uploads still open in the bucket (parts stored, no object yet) that were
    started longer ago than the longest upload may take (default a day): their row's
    transaction died, or the row sweep missed them. Tracked uploads are aborted sooner, by
    their row's inactivity (apps/datasets/multipart.py). Aborting frees their parts. On local
    storage the same goes for the part folders under STRATUM_MULTIPART_LOCAL_DIR."""
    from django.utils import timezone

    from apps.core import multipart

    cutoff = timezone.now() - older_than
    removed = []
    for key, upload_id, initiated in list(multipart.incomplete_uploads()):
        if initiated < cutoff:
            if not dry_run:
                multipart.abort(key, upload_id)
            removed.append(f"{key} (multipart {upload_id[:12]}…)")
    return removed


def sweep_temporary_uploads(
    *, older_than: timedelta | None = None, dry_run: bool = False
) -> dict[str, list[str]]:
    """Run every registered sweeper; {location: removed paths or keys}."""
    removed = {}
    for name, (sweeper, age_setting) in TEMPORARY_LOCATIONS.items():
        age = timedelta(seconds=getattr(settings, age_setting))
        removed[name] = sweeper(age if older_than is None else older_than, dry_run)
    return removed
