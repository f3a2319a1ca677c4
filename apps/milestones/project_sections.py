"""The milestones app's parts of the project page: the timeline (90) and deliverables (100)."""

from apps.milestones import selectors
from apps.milestones.services import today
from apps.milestones.timeline import timeline_build
from apps.projects.sections import project_section


@project_section(order=90, title="Milestones", template="milestones/_project_section.html")
def milestones(*, project, user, request) -> dict | None:
    """The consortium's plan: hidden from people outside it (public visitors included)."""
    if not selectors.can_see_project_milestones(user, project):
        return None
    rows = list(selectors.project_milestones(user, project))
    day = today()
    return {
        "milestones": rows,
        "total": len(rows),
        "today": day,
        "timeline": timeline_build(
            rows, today=day, project=project, deferred_from=selectors.first_due_dates(rows)
        ),
    }


@project_section(order=100, title="Deliverables", template="milestones/_deliverables_section.html")
def deliverables(*, project, user, request) -> dict | None:
    """Everyone sees approved public deliverables; the consortium sees the rest too."""
    rows = list(selectors.project_deliverables(user, project))
    if not rows and not selectors.can_see_project_milestones(user, project):
        return None
    return {"deliverables": rows}
