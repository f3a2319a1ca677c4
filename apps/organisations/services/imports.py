"""Bulk import of organisations from CSV, for portal staff (console and management command).

Columns: name, kind, country, ror_id, domains (space- or semicolon-separated). The whole file is
checked first and every bad row reported by line and column; if any row is bad nothing is
written. Rows match existing organisations by ROR ID, else by case-insensitive name, so
importing the same file twice creates nothing the second time.

Two ways to write a checked file:
- `organisations_import` (the management command): every row in one transaction.
- `organisation_import_run` (the staff console, through a Celery task): the file was saved
  first as an `OrganisationImport`; rows are committed in chunks of `CHUNK_ROWS`, each chunk in
  the same transaction as the import's counters, so the progress page shows rows done of the
  total and, if something fails midway, exactly which lines were imported. Running it again
  carries on after the last committed line.
"""

import csv
import io
import re
import secrets
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_countries import countries

from apps.audit.services import audit_record
from apps.organisations.models import (
    Organisation,
    OrganisationDomain,
    OrganisationImport,
    OrganisationKind,
    OrganisationStatus,
)
from apps.organisations.services.organisations import (
    organisation_slug_for,
    suspend_grants_if_now_for_profit,
)
from apps.organisations.validators import (
    normalise_domain,
    normalise_ror,
    validate_claimable_domain,
    validate_ror,
)

REQUIRED_COLUMNS = ("name", "kind", "country")
OPTIONAL_COLUMNS = ("ror_id", "domains")
MAX_ROWS = 20_000
NAME_MAX = Organisation._meta.get_field("name").max_length
DOMAIN_SPLIT = re.compile(r"[;\s,]+")
Progress = Callable[[Iterable], Iterable]


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.message}"


@dataclass
class ImportRow:
    line: int
    name: str
    kind: str
    country: str
    ror_id: str
    domains: list[str]
    existing: Organisation | None = None
    changes: dict = field(default_factory=dict)

    @property
    def action(self) -> str:
        if self.existing is None:
            return "create"
        return "update" if self.changes else "unchanged"


@dataclass
class ImportReport:
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = True
    written: bool = False
    total_rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def created(self) -> int:
        return self.count("create")

    @property
    def updated(self) -> int:
        return self.count("update")

    @property
    def unchanged(self) -> int:
        return self.count("unchanged")


def _kind_lookup() -> dict[str, str]:
    lookup = {}
    for value, label in OrganisationKind.choices:
        lookup[value.lower()] = value
        lookup[str(label).lower()] = value
    return lookup


def _country_code(value: str) -> str:
    value = value.strip()
    return countries.alpha2(value) or countries.by_name(value) or ""


def _messages(error: ValidationError) -> str:
    return " ".join(error.messages)


class _Parser:
    """Reads the file once, keeping what it needs to check rows against each other and the
    database (a few queries for the whole file, not per row)."""

    def __init__(self, text: str):
        self.text = text
        self.report = ImportReport()
        self.kinds = _kind_lookup()
        self.seen_names: dict[str, int] = {}
        self.seen_rors: dict[str, int] = {}
        self.seen_domains: dict[str, int] = {}

    def parse(self) -> ImportReport:
        reader = csv.DictReader(io.StringIO(self.text, newline=""))
        if not self._header_ok(reader.fieldnames):
            return self.report
        raw_rows = []
        for record in reader:
            if len(raw_rows) >= MAX_ROWS:
                self._error(reader.line_num, "-", f"More than {MAX_ROWS:,} rows: split the file.")
                return self.report
            if any((value or "").strip() for key, value in record.items() if key is not None):
                raw_rows.append((reader.line_num, record))
        if not raw_rows:
            self._error(1, "-", "The file has a header but no organisations.")
            return self.report
        self.report.total_rows = len(raw_rows)
        self._load_existing(raw_rows)
        for line, record in raw_rows:
            self._parse_row(line, record)
        return self.report

    def _error(self, line: int, column: str, message: str) -> None:
        self.report.errors.append(RowError(line, column, message))

    def _header_ok(self, fieldnames) -> bool:
        if not fieldnames:
            self._error(1, "-", "The file is empty; the first line must name the columns.")
            return False
        names = [(name or "").strip().lower() for name in fieldnames]
        for column in REQUIRED_COLUMNS:
            if column not in names:
                self._error(1, column, f"The header has no “{column}” column.")
        for column in names:
            if column not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS:
                self._error(
                    1,
                    column or "(blank)",
                    "Unknown column; expected name, kind, country, ror_id, domains.",
                )
        if len(set(names)) != len(names):
            self._error(1, "-", "A column is named twice.")
        self.columns = dict(zip(fieldnames, names, strict=True))
        return self.report.ok

    def _load_existing(self, raw_rows) -> None:
        self.by_ror, self.by_name = {}, {}
        for organisation in Organisation.objects.prefetch_related("domains"):
            if organisation.ror_id:
                self.by_ror[organisation.ror_id] = organisation
            self.by_name[organisation.name.lower()] = organisation
        self.domain_owner = dict(
            OrganisationDomain.objects.values_list("domain", "organisation_id")
        )

    def _parse_row(self, line: int, record: dict) -> None:
        if record.get(None):
            self._error(line, "-", "This row has more fields than the header has columns.")
            return
        values = {self.columns[key]: (value or "").strip() for key, value in record.items()}
        errors_before = len(self.report.errors)
        row = ImportRow(
            line=line,
            name=self._name(line, values.get("name", "")),
            kind=self._kind(line, values.get("kind", "")),
            country=self._country(line, values.get("country", "")),
            ror_id=self._ror(line, values.get("ror_id", "")),
            domains=[],
        )
        row.existing = self._match(line, row)
        row.domains = self._domains(line, values.get("domains", ""), row.existing)
        if len(self.report.errors) == errors_before:
            row.changes = _changes(row)
            self.report.rows.append(row)

    def _name(self, line: int, value: str) -> str:
        name = " ".join(value.split())
        if not name:
            self._error(line, "name", "The name is empty.")
        elif len(name) > NAME_MAX:
            self._error(line, "name", f"The name is longer than {NAME_MAX} characters.")
        elif name.lower() in self.seen_names:
            self._error(
                line, "name", f"“{name}” is already on line {self.seen_names[name.lower()]}."
            )
        else:
            self.seen_names[name.lower()] = line
        return name

    def _kind(self, line: int, value: str) -> str:
        kind = self.kinds.get(value.strip().lower(), "")
        if not kind:
            allowed = ", ".join(OrganisationKind.values)
            self._error(line, "kind", f"“{value}” is not a kind of organisation ({allowed}).")
        return kind

    def _country(self, line: int, value: str) -> str:
        code = _country_code(value) if value else ""
        if not code:
            self._error(
                line, "country", f"“{value}” is not a country; use a code such as GB or DE."
            )
        return code

    def _ror(self, line: int, value: str) -> str:
        if not value:
            return ""
        try:
            validate_ror(value)
        except ValidationError as error:
            self._error(line, "ror_id", _messages(error))
            return ""
        ror = normalise_ror(value)
        if ror in self.seen_rors:
            self._error(line, "ror_id", f"{ror} is already on line {self.seen_rors[ror]}.")
        self.seen_rors[ror] = line
        return ror

    def _match(self, line: int, row: ImportRow) -> Organisation | None:
        by_ror = self.by_ror.get(row.ror_id) if row.ror_id else None
        by_name = self.by_name.get(row.name.lower())
        if by_ror is not None and by_name is not None and by_ror.pk != by_name.pk:
            self._error(
                line,
                "name",
                f"“{row.name}” is another organisation than the one with ROR ID {row.ror_id} "
                f"({by_ror.name}).",
            )
            return None
        if by_ror is None and by_name is not None and row.ror_id and by_name.ror_id:
            self._error(
                line,
                "ror_id",
                f"{by_name.name} already has ROR ID {by_name.ror_id}, not {row.ror_id}.",
            )
            return None
        return by_ror or by_name

    def _domains(self, line: int, value: str, existing: Organisation | None) -> list[str]:
        domains = []
        for raw in filter(None, DOMAIN_SPLIT.split(value)):
            domain = normalise_domain(raw)
            try:
                validate_claimable_domain(domain)
            except ValidationError as error:
                self._error(line, "domains", _messages(error))
                continue
            owner = self.domain_owner.get(domain)
            if owner is not None and (existing is None or owner != existing.pk):
                self._error(line, "domains", f"{domain} belongs to another organisation.")
            elif domain in self.seen_domains:
                self._error(
                    line, "domains", f"{domain} is already on line {self.seen_domains[domain]}."
                )
            else:
                self.seen_domains[domain] = line
                domains.append(domain)
        return domains


def _changes(row: ImportRow) -> dict:
    """What an import would change on the matched organisation (nothing for a new one)."""
    existing = row.existing
    if existing is None:
        return {}
    changes = {}
    wanted = {"name": row.name, "kind": row.kind, "country": row.country}
    if row.ror_id:
        wanted["ror_id"] = row.ror_id
    for name, value in wanted.items():
        current = str(getattr(existing, name) or "")
        if current != value:
            changes[name] = {"from": current, "to": value}
    have = {domain.domain for domain in existing.domains.all()}
    new_domains = [domain for domain in row.domains if domain not in have]
    if new_domains:
        changes["domains"] = {"added": new_domains}
    return changes


def organisations_import_parse(text: str) -> ImportReport:
    """Check a whole CSV file; nothing is written."""
    return _Parser(text).parse()


def organisations_import(
    *,
    text: str,
    actor,
    dry_run: bool,
    progress: Progress | None = None,
    request=None,
) -> ImportReport:
    """Check the file and, unless `dry_run` or any row is bad, write every row in one
    transaction. Imported organisations are approved: staff vouch for the file."""
    report = organisations_import_parse(text)
    report.dry_run = dry_run
    if dry_run or not report.ok:
        return report
    _write(report, actor=actor, progress=progress or (lambda rows: rows), request=request)
    report.written = True
    return report


@transaction.atomic
def _write(report: ImportReport, *, actor, progress: Progress, request) -> None:
    _write_rows(progress(report.rows), actor=actor, request=request, taken=_slugs_taken())


def _slugs_taken() -> set[str]:
    return set(Organisation.objects.values_list("slug", flat=True))


class ImportRowFailed(Exception):
    """Writing the row on `line` failed; the chunk it was in is rolled back."""

    def __init__(self, line: int, error: Exception):
        self.line = line
        self.error = error
        detail = _messages(error) if isinstance(error, ValidationError) else str(error)
        super().__init__(f"line {line}: {detail.strip() or type(error).__name__}")


def _write_rows(rows: Iterable[ImportRow], *, actor, request, taken: set[str]) -> Counter:
    """Write checked rows in the caller's transaction; returns how many of each action."""
    counts: Counter = Counter()
    now = timezone.now()
    for row in rows:
        counts[row.action] += 1
        if row.action == "unchanged":
            continue
        try:
            _write_row(row, actor=actor, request=request, taken=taken, now=now)
        except Exception as error:
            raise ImportRowFailed(row.line, error) from error
    return counts


def _write_row(row: ImportRow, *, actor, request, taken: set[str], now) -> None:
    if row.action == "create":
        organisation = _create(row, taken=taken, now=now)
        action = "organisation.import_create"
    else:
        was_for_profit = row.existing.is_for_profit
        organisation = _update(row)
        suspend_grants_if_now_for_profit(organisation, was_for_profit=was_for_profit, actor=actor)
        action = "organisation.import_update"
    audit_record(
        actor=actor,
        action=action,
        target=organisation,
        request=request,
        actor_role="staff",
        organisation_id=organisation.pk,
        to_state=organisation.status,
        details={"line": row.line, "changes": row.changes},
    )


ROW_CLEAN = {"exclude": ["country"], "validate_unique": False, "validate_constraints": False}


def _create(row: ImportRow, *, taken: set[str], now) -> Organisation:
    organisation = Organisation(
        name=row.name,
        slug=organisation_slug_for(row.name, taken),
        kind=row.kind,
        country=row.country,
        ror_id=row.ror_id,
        status=OrganisationStatus.APPROVED,
        status_changed_at=now,
    )
    # Uniqueness was checked against the file and the database while parsing; the database's
    # own constraints still stand behind that if someone else wrote meanwhile. The country is
    # a code the parser took from django-countries itself, whose field check walks every
    # country's name: a quarter of a row's write time.
    organisation.full_clean(**ROW_CLEAN)
    organisation.save()
    _add_domains(organisation, row.domains)
    return organisation


def _update(row: ImportRow) -> Organisation:
    organisation = row.existing
    for name in ("name", "kind", "country", "ror_id"):
        if name in row.changes:
            setattr(organisation, name, row.changes[name]["to"])
    organisation.full_clean(**ROW_CLEAN)
    organisation.save()
    _add_domains(organisation, row.changes.get("domains", {}).get("added", []))
    return organisation


def _add_domains(organisation: Organisation, domains: list[str]) -> None:
    OrganisationDomain.objects.bulk_create(
        OrganisationDomain(organisation=organisation, domain=domain) for domain in domains
    )


# --- Imports from the staff console: saved first, run by a worker, progress in the row -----

# Rows per transaction: small enough that the progress page moves every second or so and a
# failure loses little work, large enough that committing is not the cost.
CHUNK_ROWS = 200
# A checked file waits this long for "Import it now".
CHECKED_FOR = timedelta(hours=1)

Status = OrganisationImport.Status


def organisation_import_save(
    *, text: str, file_name: str, actor, checked: bool
) -> OrganisationImport:
    """Keep an uploaded file before anything is done with it: `checked` after a clean dry run
    (waiting for "Import it now"), else queued. The caller queues the task after commit.
    Checked files nobody imported within `CHECKED_FOR` are dropped here, so dry runs do not
    pile up."""
    OrganisationImport.objects.filter(
        status=Status.CHECKED, created_at__lt=timezone.now() - CHECKED_FOR
    ).delete()
    job = OrganisationImport(
        created_by=actor,
        file_name=file_name[:255],
        text=text,
        status=Status.CHECKED if checked else Status.QUEUED,
    )
    job.full_clean()
    job.save()
    return job


def organisation_import_start(*, import_id, actor) -> bool:
    """ "Import it now" after a clean dry run: only by the person who checked it, within
    `CHECKED_FOR`, and once (a second press finds it queued and changes nothing)."""
    return (
        OrganisationImport.objects.filter(
            pk=import_id,
            created_by=actor,
            status=Status.CHECKED,
            created_at__gte=timezone.now() - CHECKED_FOR,
        ).update(status=Status.QUEUED, updated_at=timezone.now())
        == 1
    )


def organisation_import_resume(*, import_id) -> bool:
    """Queue a stopped import again (or one whose worker was lost); it carries on after the last
    committed line, the rows before it now matching as unchanged."""
    now = timezone.now()
    return (
        OrganisationImport.objects.filter(pk=import_id)
        .filter(Q(status=Status.FAILED) | _lost(now))
        .update(status=Status.QUEUED, failure="", finished_at=None, updated_at=now)
        == 1
    )


def _lost(now) -> Q:
    return Q(status=Status.RUNNING, heartbeat_at__lt=now - OrganisationImport.LEASE)


def organisation_import_run(
    *, import_id, after_chunk: Callable[[], None] | None = None
) -> OrganisationImport | None:
    """The worker's side. Claims the import (queued, or running under a lost worker) with a
    conditional update, so a duplicate message does nothing; checks the whole file; then
    commits rows in chunks, each with the import's counters. A failure records what was
    imported and which line stopped it, then re-raises for the worker's log. `after_chunk` is
    called after each chunk's commit (tests watch the progress with it)."""
    token = secrets.token_hex(8)
    now = timezone.now()
    claimed = (
        OrganisationImport.objects.filter(pk=import_id)
        .filter(Q(status=Status.QUEUED) | _lost(now))
        .update(
            status=Status.RUNNING,
            claim_token=token,
            heartbeat_at=now,
            started_at=Coalesce(F("started_at"), now),
            updated_at=now,
        )
    )
    if claimed != 1:
        return None
    job = OrganisationImport.objects.select_related("created_by").get(pk=import_id)
    try:
        _run(job, token, after_chunk or (lambda: None))
    except Exception as error:
        _stop(job, token, error)
        raise
    job.refresh_from_db()
    return job


def _mine(job: OrganisationImport, token: str):
    return OrganisationImport.objects.filter(pk=job.pk, claim_token=token, status=Status.RUNNING)


class ImportTakenOver(Exception):
    """Another worker claimed this import (ours was thought lost); stop without writing."""


def _run(job: OrganisationImport, token: str, after_chunk: Callable[[], None]) -> None:
    report = organisations_import_parse(job.text)
    # On a resumed import the rows up to `last_line` are committed: they now parse as
    # unchanged, and a problem can only be reported for the rows still to come.
    errors = [error for error in report.errors if error.line == 1 or error.line > job.last_line]
    if errors:
        _mine(job, token).update(
            status=Status.INVALID,
            total_rows=report.total_rows,
            errors=[{"line": e.line, "column": e.column, "message": e.message} for e in errors],
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
        return
    _mine(job, token).update(total_rows=report.total_rows, updated_at=timezone.now())
    taken = _slugs_taken()
    rows = [row for row in report.rows if row.line > job.last_line]
    for start in range(0, len(rows), CHUNK_ROWS):
        chunk = rows[start : start + CHUNK_ROWS]
        _commit_chunk(job, token, chunk, taken)
        after_chunk()
    done = _mine(job, token).update(
        status=Status.DONE, finished_at=timezone.now(), updated_at=timezone.now()
    )
    if done != 1:
        raise ImportTakenOver


@transaction.atomic
def _commit_chunk(job: OrganisationImport, token: str, chunk, taken: set[str]) -> None:
    counts = _write_rows(chunk, actor=job.created_by, request=None, taken=taken)
    now = timezone.now()
    counted = _mine(job, token).update(
        rows_done=F("rows_done") + len(chunk),
        last_line=chunk[-1].line,
        created=F("created") + counts["create"],
        updated=F("updated") + counts["update"],
        unchanged=F("unchanged") + counts["unchanged"],
        heartbeat_at=now,
        updated_at=now,
    )
    if counted != 1:
        raise ImportTakenOver  # rolls this chunk back: the other worker writes it


def _stop(job: OrganisationImport, token: str, error: Exception) -> None:
    """Record why the import stopped; the counters already say what was committed."""
    if isinstance(error, ImportTakenOver):
        return
    if isinstance(error, ImportRowFailed):
        failure = f"Writing {error}"
    else:
        failure = str(error).strip() or type(error).__name__
    now = timezone.now()
    _mine(job, token).update(
        status=Status.FAILED, failure=failure[:2000], finished_at=now, updated_at=now
    )
