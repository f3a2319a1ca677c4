import os
import time
from io import StringIO
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command


def _age(path: str, hours: int) -> None:
    full = Path(default_storage.path(path))
    then = time.time() - hours * 3600
    os.utime(full, (then, then))


def test_sweep_removes_old_files_without_rows_and_keeps_the_rest(consortium_file):
    stray = default_storage.save("protected/datasets.datasetfile/0000-stray", ContentFile(b"x"))
    fresh = default_storage.save("protected/datasets.datasetfile/0000-fresh", ContentFile(b"y"))
    _age(stray, 48)
    _age(consortium_file.file.name, 48)
    out = StringIO()
    call_command("sweep_orphan_files", "--dry-run", stdout=out)
    assert "Would delete protected/datasets.datasetfile/0000-stray" in out.getvalue()
    assert default_storage.exists(stray)
    call_command("sweep_orphan_files", stdout=StringIO())
    assert not default_storage.exists(stray)
    assert default_storage.exists(fresh)  # may still be committing
    assert default_storage.exists(consortium_file.file.name)


def test_sweep_with_no_uploads_yet_does_nothing(db):
    out = StringIO()
    call_command("sweep_orphan_files", stdout=out)
    assert "Deleted 0 orphaned file(s)." in out.getvalue()


def test_the_nightly_task_sweeps_old_orphans_and_is_scheduled_in_beat(consortium_file, settings):
    from apps.datasets.tasks import sweep_orphan_files

    stray = default_storage.save("protected/datasets.datasetfile/0000-nightly", ContentFile(b"x"))
    _age(stray, 48)

    assert sweep_orphan_files.apply().get() == 1

    assert not default_storage.exists(stray)
    assert default_storage.exists(consortium_file.file.name)
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "datasets.sweep_orphan_files" in scheduled


def _temp_file(directory: Path, name: str, *, hours_old: float) -> Path:
    path = directory / name
    path.write_bytes(b"half an upload")
    then = time.time() - hours_old * 3600
    os.utime(path, (then, then))
    return path


def test_the_temporary_sweep_removes_abandoned_upload_files_past_the_stated_age(
    db, settings, tmp_path
):
    from apps.core.tasks import sweep_temporary_uploads

    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    settings.STRATUM_UPLOAD_TEMP_MAX_AGE = 2 * 3600
    abandoned = _temp_file(tmp_path, "tmpdead.upload", hours_old=3)
    live = _temp_file(tmp_path, "tmplive.upload", hours_old=0.5)  # still being written

    assert sweep_temporary_uploads.apply().get() == 1

    assert not abandoned.exists()
    assert live.exists()
    beat = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert beat["core.sweep_temporary_uploads"].total_seconds() <= 15 * 60


def test_the_command_lists_abandoned_temporary_uploads_and_deletes_them(db, settings, tmp_path):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    abandoned = _temp_file(tmp_path, "tmpdead.upload", hours_old=3)

    out = StringIO()
    call_command("sweep_orphan_files", "--dry-run", stdout=out)
    assert f"Would delete {abandoned} (uploads-tmp)" in out.getvalue()
    assert abandoned.exists()

    call_command("sweep_orphan_files", stdout=StringIO())
    assert not abandoned.exists()
