"""iCalendar text escaping and line folding (RFC 5545 §3.3.11 and §3.1), CSV safety."""

import datetime

import pytest

from apps.milestones.exports import ical_escape, ical_fold, milestones_csv, milestones_ics
from tests.milestones.factories import MilestoneFactory


def test_text_values_escape_backslash_semicolon_comma_and_newlines():
    assert ical_escape("a\\b;c,d\ne\r\nf") == "a\\\\b\\;c\\,d\\ne\\nf"


def test_long_lines_fold_at_75_octets_with_a_leading_space():
    folded = ical_fold("SUMMARY:" + "x" * 200)
    lines = folded.split("\r\n")
    assert all(len(line.encode()) <= 75 for line in lines)
    assert all(line.startswith(" ") for line in lines[1:])
    assert (
        "".join(line.removeprefix(" ") if i else line for i, line in enumerate(lines))
        == "SUMMARY:" + "x" * 200
    )


def test_folding_never_splits_a_multibyte_character():
    text = "DESCRIPTION:" + "é" * 100 + "😷" * 30
    lines = ical_fold(text).split("\r\n")
    for line in lines:
        line.encode("utf-8").decode("utf-8")  # every line is valid UTF-8 on its own
        assert len(line.encode()) <= 75
    assert "".join(line[1:] if i else line for i, line in enumerate(lines)) == text


@pytest.mark.django_db
def test_calendar_escapes_titles_and_uses_crlf(project):
    MilestoneFactory(
        project=project, title="Lock; freeze, and\nship", due_date=datetime.date(2027, 2, 1)
    )
    ics = milestones_ics(
        project.milestones.all(), project=project, today=datetime.date(2026, 11, 26)
    )
    assert "SUMMARY:RESPIRE: Lock\\; freeze\\, and\\nship\r\n" in ics
    assert "DTSTART;VALUE=DATE:20270201\r\nDTEND;VALUE=DATE:20270202\r\n" in ics
    assert "\n" not in ics.replace("\r\n", "")


@pytest.mark.django_db
def test_csv_marks_late_milestones(project):
    MilestoneFactory(project=project, title="Late", due_date=datetime.date(2026, 1, 1))
    rows = milestones_csv(project.milestones.all(), today=datetime.date(2026, 11, 26)).splitlines()
    assert rows[1].startswith("Late,,2026-01-01,Planned,yes")
