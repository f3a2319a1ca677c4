"""Remove protected files that no dataset-file or protocol-version row points to."""

from django.core.management.base import BaseCommand

from apps.datasets.tasks import sweep_protected_orphans


class Command(BaseCommand):
    help = (
        "Delete stored upload files with no database row (left by a process killed mid-upload). "
        "Files younger than --older-than-hours are kept."
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
