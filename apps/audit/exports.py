"""CSV exports, streamed row by row so a long log never sits in memory.

Cells that a spreadsheet would run as a formula (=, +, -, @, tab, CR) are prefixed with a
quote: an export must never execute what a requester typed into a reason field."""

import csv
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse
from django.utils import timezone

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    def write(self, value: str) -> str:
        return value


def safe_cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        if hasattr(value, "tzinfo") and value.tzinfo is not None:
            value = timezone.localtime(value)
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_response(
    filename: str, header: list[str], rows: Iterable[Iterable]
) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([safe_cell(cell) for cell in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


EVENT_HEADER = [
    "occurred_at",
    "action",
    "actor",
    "actor_role",
    "target_type",
    "target_id",
    "target",
    "project_id",
    "organisation_id",
    "from_state",
    "to_state",
    "reason",
    "ip_address",
    "snapshot_hash",
]


def event_rows(events) -> Iterator[list]:
    for e in events.iterator(chunk_size=2000):
        yield [
            e.occurred_at,
            e.action,
            e.actor.email if e.actor else "",
            e.actor_role,
            e.target_type,
            e.target_id,
            e.target_repr,
            e.project_id,
            e.organisation_id,
            e.from_state,
            e.to_state,
            e.reason,
            e.ip_address,
            (e.details or {}).get("snapshot_hash", ""),
        ]
