"""The "Protocols" section of the project page."""

from apps.access.policy import Action, can
from apps.documents.selectors import protocols_visible_in_project
from apps.projects.sections import project_section

SECTION_LIMIT = 10


@project_section(order=60, title="Protocols", template="documents/_project_protocols.html")
def protocols(*, project, user, request) -> dict | None:
    rows = protocols_visible_in_project(user, project, limit=SECTION_LIMIT)
    return {"protocols": rows, "can_contribute": can(user, Action.CONTRIBUTE, project)}
