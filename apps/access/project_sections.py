"""The committee section of the project page (order 80)."""

from apps.access.models import DataAccessCommittee
from apps.access.policy import Action, can, visible
from apps.access.selectors import committee_current_seats, requests_awaiting_decision_by
from apps.projects.sections import project_section


@project_section(order=80, title="Data access committee", template="access/_project_committee.html")
def committee(*, project, user, request) -> dict | None:
    found = visible(user, DataAccessCommittee.objects.filter(project=project)).first()
    can_manage_project = can(user, Action.MANAGE, project)
    if found is None:
        # Only the coordinators need to know there is none yet: they can set it up.
        return {"committee": None} if can_manage_project else None
    return {
        "committee": found,
        "seats": committee_current_seats(found),
        "can_see_queue": can(user, Action.VIEW_DETAILS, found),
        "awaiting_count": requests_awaiting_decision_by(user)
        .filter(dataset__project=project)
        .count(),
        "can_manage_committee": can(user, Action.MANAGE, found),
    }
