"""CSV and iCalendar (RFC 5545) exports of a project's milestones."""

import csv
import datetime
import io

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from apps.milestones.timeline import is_late

CSV_COLUMNS = [
    "Title",
    "Work package",
    "Due date",
    "Status",
    "Late",
    "Status changed on",
    "Owner organisation",
    "Owner",
    "Description",
]


def _cell(value) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas: quote them (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def milestones_csv(milestones, *, today: datetime.date) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for m in milestones:
        writer.writerow(
            [
                _cell(m.title),
                _cell(
                    f"WP{m.work_package.number} {m.work_package.title}" if m.work_package else ""
                ),
                m.due_date.isoformat(),
                m.get_status_display(),
                "yes" if is_late(m, today) else "no",
                m.status_changed_on.isoformat() if m.status_changed_on else "",
                _cell(m.owner_organisation.name if m.owner_organisation else ""),
                _cell(m.owner.display_name if m.owner else ""),
                _cell(m.description),
            ]
        )
    return out.getvalue()


# --- iCalendar ---------------------------------------------------------------------------------
def ical_escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 §3.3.11): backslash, semicolon, comma and newlines."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def ical_fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 §3.1) without splitting a UTF-8 character:
    continuation lines start with one space, which counts towards their 75."""
    parts, current, size, limit = [], "", 0, 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size, limit = "", 0, 74
        current += char
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def _host() -> str:
    return settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "stratum"


def _event(milestone, *, stamp: str, today: datetime.date) -> list[str]:
    url = f"{settings.SITE_URL}{reverse('milestones:detail', args=[milestone.pk])}"
    status = milestone.get_status_display() + (" (late)" if is_late(milestone, today) else "")
    description = f"Status: {status}"
    if milestone.owner_organisation:
        description += f"\nOwner: {milestone.owner_organisation.name}"
    if milestone.description:
        description += f"\n\n{milestone.description}"
    end = milestone.due_date + datetime.timedelta(days=1)
    return [
        "BEGIN:VEVENT",
        f"UID:milestone-{milestone.pk}@{_host()}",
        f"DTSTAMP:{stamp}",
        f"DTSTART;VALUE=DATE:{milestone.due_date:%Y%m%d}",
        f"DTEND;VALUE=DATE:{end:%Y%m%d}",
        f"SUMMARY:{ical_escape(f'{milestone.project.acronym}: {milestone.title}')}",
        f"DESCRIPTION:{ical_escape(description)}",
        f"URL:{url}",
        f"CATEGORIES:{ical_escape(milestone.get_status_display())}",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]


def milestones_ics(milestones, *, project, today: datetime.date) -> str:
    stamp = timezone.now().astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Stratum//Milestones//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{ical_escape(f'{project.acronym} milestones')}",
    ]
    for milestone in milestones:
        lines += _event(milestone, stamp=stamp, today=today)
    lines.append("END:VCALENDAR")
    return "".join(ical_fold(line) + "\r\n" for line in lines)
