"""Remove protected files that no dataset-file or protocol-version row points to, and what
abandoned uploads left in every temporary location (apps/core/sweeps.py)."""

from django.core.management.base import BaseCommand

from apps.core.sweeps import sweep_temporary_uploads
from apps.datasets.tasks import sweep_protected_orphans


class Command(BaseCommand):
    help = (
        "Delete stored upload files with no database row (left by a process killed mid-upload). "
        "Files younger than --older-than-hours are kept. Temporary upload files untouched for "
        "STRATUM_UPLOAD_TEMP_MAX_AGE are removed too."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than-hours", type=int, default=24)
        parser.add_argument("--dry-run", action="store_true", help="List, delete nothing.")

    def handle(self, *args, older_than_hours: int, dry_run: bool, **options):
        removed = sweep_protected_orphans(older_than_hours=older_than_hours, dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        for path in removed:
            self.stdout.write(f"{verb} {path}")
        self.stdout.write(self.style.SUCCESS(f"{verb} {len(removed)} orphaned file(s)."))
        temporary = sweep_temporary_uploads(dry_run=dry_run)
        for location, paths in temporary.items():
            for path in paths:
                self.stdout.write(f"{verb} {path} ({location})")
        count = sum(len(paths) for paths in temporary.values())
        self.stdout.write(self.style.SUCCESS(f"{verb} {count} abandoned temporary upload(s)."))
