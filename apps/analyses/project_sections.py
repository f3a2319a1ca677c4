"""The "Analyses" section of the project page."""

from apps.access.policy import Action, can
from apps.analyses.models import Analysis
from apps.items.selectors import items_visible_in_project
from apps.projects.sections import project_section

SECTION_LIMIT = 10


@project_section(order=65, title="Analyses", template="analyses/_project_analyses.html")
def analyses(*, project, user, request) -> dict | None:
    rows = list(items_visible_in_project(user, Analysis, project)[:SECTION_LIMIT])
    return {"analyses": rows, "can_contribute": can(user, Action.CONTRIBUTE, project)}
