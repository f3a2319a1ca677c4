"""Home page: what is due in my projects in the next 30 days (order 40)."""

from django.urls import reverse
from django.utils.formats import date_format

from apps.core.dashboard import DashboardItem, DashboardSection, register_section
from apps.milestones import selectors
from apps.milestones.services import today
from apps.milestones.timeline import is_late

SHOWN = 5


def _meta(project, due, late: bool) -> str:
    return f"{project.acronym} · {'Late — was due' if late else 'due'} {date_format(due, 'j M Y')}"


@register_section(order=40)
def due_in_my_projects(user) -> DashboardSection | None:
    day = today()
    milestones = list(selectors.portfolio_milestones(user, today=day)[:SHOWN])
    deliverables = list(selectors.portfolio_deliverables(user, today=day)[:SHOWN])
    dated = [
        (
            m.due_date,
            DashboardItem(
                label=f"Milestone: {m.title}",
                url=reverse("milestones:detail", args=[m.pk]),
                meta=_meta(m.project, m.due_date, is_late(m, day)),
            ),
        )
        for m in milestones
    ] + [
        (
            d.due_date,
            DashboardItem(
                label=f"Deliverable {d.code}: {d.title}",
                url=reverse("milestones:deliverable", args=[d.pk]),
                meta=_meta(d.project, d.due_date, d.due_date < day),
            ),
        )
        for d in deliverables
    ]
    items = [item for _due, item in sorted(dated, key=lambda pair: pair[0])]
    return DashboardSection(
        title="Milestones and deliverables due in my projects",
        items=items,
        empty="Nothing is due in your projects in the next 30 days.",
        more_url=reverse("milestones:portfolio"),
    )
