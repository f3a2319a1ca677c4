"""The project timeline: a Gantt-like SVG laid out here and drawn by a template.

Pure layout (no queries, no HTML): milestones in, coordinates and words out. Late milestones
are marked three ways — a hatched marker, a bold outline and the word "Late" with the days —
so the picture never relies on colour alone; `<title>`/`<desc>` summarise it for screen readers
and the table beside it carries every detail.
"""

import datetime
from dataclasses import dataclass, field

from django.utils import formats

from apps.milestones.models import MilestoneStatus

OPEN = (MilestoneStatus.PLANNED, MilestoneStatus.IN_PROGRESS, MilestoneStatus.DEFERRED)

WIDTH = 1000
LABEL_WIDTH = 290
FLAG_WIDTH = 130
CHART_LEFT = LABEL_WIDTH
CHART_RIGHT = WIDTH - FLAG_WIDTH
TOP = 46
ROW_HEIGHT = 26
BOTTOM = 16
MIN_SPAN_DAYS = 90


def is_late(milestone, today: datetime.date) -> bool:
    return milestone.status in OPEN and milestone.due_date < today


def days_late(milestone, today: datetime.date) -> int:
    return (today - milestone.due_date).days if is_late(milestone, today) else 0


def _date(d: datetime.date) -> str:
    return formats.date_format(d, "j M Y")


@dataclass
class Row:
    milestone: object
    y: float
    bar_x: float
    bar_width: float
    marker_x: float
    label: str
    status: str
    status_label: str
    late: bool
    late_days: int
    flag: str
    tooltip: str
    deferred_from_x: float | None = None

    @property
    def marker_points(self) -> str:
        x, y, r = self.marker_x, self.y, 7
        return f"{x:.1f},{y - r:.1f} {x + r:.1f},{y:.1f} {x:.1f},{y + r:.1f} {x - r:.1f},{y:.1f}"


@dataclass
class Tick:
    x: float
    label: str


@dataclass
class Timeline:
    title: str
    description: str
    width: int
    height: int
    rows: list[Row] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    today_x: float | None = None
    today_label: str = ""
    chart_left: int = CHART_LEFT
    chart_right: int = CHART_RIGHT
    top: int = TOP

    @property
    def late_count(self) -> int:
        return sum(1 for r in self.rows if r.late)


def _range(milestones, today, project) -> tuple[datetime.date, datetime.date]:
    dates = [m.due_date for m in milestones] + [today]
    start = min(dates + ([project.start_date] if project and project.start_date else []))
    end = max(dates)
    if (end - start).days < MIN_SPAN_DAYS:
        end = start + datetime.timedelta(days=MIN_SPAN_DAYS)
    pad = datetime.timedelta(days=max(7, (end - start).days // 40))
    return start - pad, end + pad


def _scale(start: datetime.date, end: datetime.date):
    span = (end - start).days or 1

    def x(d: datetime.date) -> float:
        return CHART_LEFT + (d - start).days / span * (CHART_RIGHT - CHART_LEFT)

    return x


def _ticks(start: datetime.date, end: datetime.date, x) -> list[Tick]:
    months = (end.year - start.year) * 12 + end.month - start.month
    step = 1 if months <= 8 else 3 if months <= 30 else 6 if months <= 60 else 12
    d = datetime.date(start.year, start.month, 1)
    ticks = []
    while d <= end:
        if d >= start and (d.month - 1) % step == 0:
            ticks.append(Tick(x=x(d), label=formats.date_format(d, "M Y")))
        d = datetime.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return ticks


def _flag(milestone, late: bool, late_days: int) -> str:
    if late:
        return f"Late: {late_days} day{'s' if late_days != 1 else ''}"
    return milestone.get_status_display()


def _row(index, milestone, *, x, start, today, deferred_from) -> Row:
    late = is_late(milestone, today)
    late_days = days_late(milestone, today)
    begin = milestone.created_at.date() if milestone.created_at else start
    begin = min(max(begin, start), milestone.due_date)
    label = milestone.title if len(milestone.title) <= 40 else milestone.title[:39] + "…"
    tooltip = (
        f"{milestone.title} — due {_date(milestone.due_date)} — {milestone.get_status_display()}"
    )
    if late:
        tooltip += f" — late by {late_days} day{'s' if late_days != 1 else ''}"
    old = deferred_from.get(milestone.pk)
    return Row(
        milestone=milestone,
        y=TOP + index * ROW_HEIGHT + ROW_HEIGHT / 2,
        bar_x=x(begin),
        bar_width=max(x(milestone.due_date) - x(begin), 2),
        marker_x=x(milestone.due_date),
        label=label,
        status=milestone.status,
        status_label=milestone.get_status_display(),
        late=late,
        late_days=late_days,
        flag=_flag(milestone, late, late_days),
        tooltip=tooltip,
        deferred_from_x=x(old) if old and start <= old else None,
    )


def _summary(milestones, rows, project, today) -> str:
    achieved = sum(1 for m in milestones if m.status == MilestoneStatus.ACHIEVED)
    late = [r.milestone.title for r in rows if r.late]
    text = (
        f"{len(milestones)} milestones from {_date(min(m.due_date for m in milestones))} to "
        f"{_date(max(m.due_date for m in milestones))}; {achieved} achieved; "
        f"{len(late)} late. Today is {_date(today)}."
    )
    if late:
        text += " Late: " + "; ".join(late[:10]) + ("…" if len(late) > 10 else "") + "."
    return text


def timeline_build(
    milestones, *, today: datetime.date, project=None, deferred_from=None
) -> Timeline | None:
    """Lay out `milestones` (already ordered) against time. `deferred_from` maps a milestone id
    to its first due date, drawn as a hollow marker with a dashed line to the new one."""
    milestones = list(milestones)
    if not milestones:
        return None
    start, end = _range(milestones, today, project)
    x = _scale(start, end)
    rows = [
        _row(i, m, x=x, start=start, today=today, deferred_from=deferred_from or {})
        for i, m in enumerate(milestones)
    ]
    name = project.acronym if project is not None else "your projects"
    return Timeline(
        title=f"Milestone timeline for {name}",
        description=_summary(milestones, rows, project, today),
        width=WIDTH,
        height=TOP + len(rows) * ROW_HEIGHT + BOTTOM,
        rows=rows,
        ticks=_ticks(start, end, x),
        today_x=x(today),
        today_label=f"Today {_date(today)}",
    )
