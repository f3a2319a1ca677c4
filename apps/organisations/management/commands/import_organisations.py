"""`python manage.py import_organisations FILE [--dry-run]`: the staff console's CSV import
for the terminal, with a progress bar. Exits 1 when any row is bad (nothing is imported)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from apps.organisations.services import organisations_import


class Command(BaseCommand):
    help = (
        "Import organisations from a CSV file with columns name, kind, country, ror_id, domains. "
        "All rows or none; rows match existing organisations by ROR ID, else by name."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV file (UTF-8) with a header line")
        parser.add_argument(
            "--dry-run", action="store_true", help="Only check the file and report bad rows"
        )

    def handle(self, *args, file: Path, dry_run: bool, **options):
        text = self._read(file)

        def progress(rows):
            # The raw stream: OutputWrapper would end each of tqdm's \r updates with a newline.
            return tqdm(rows, desc="Importing", unit="row", file=self.stderr._out)

        report = organisations_import(text=text, actor=None, dry_run=dry_run, progress=progress)
        for error in report.errors:
            self.stderr.write(f"{file.name}: {error}")
        if report.errors:
            raise CommandError(
                f"{len(report.errors)} problem(s) in {file.name}; nothing was imported."
            )
        summary = (
            f"{report.created} to create, {report.updated} to update, {report.unchanged} unchanged"
        )
        if dry_run:
            self.stdout.write(self.style.SUCCESS(f"{file.name} is valid: {summary} (dry run)."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Imported {file.name}: {summary}."))

    def _read(self, file: Path) -> str:
        try:
            return file.read_text(encoding="utf-8-sig")
        except FileNotFoundError as error:
            raise CommandError(f"No such file: {file}") from error
        except UnicodeDecodeError as error:
            raise CommandError(f"{file} is not UTF-8 text; save it as CSV UTF-8.") from error
