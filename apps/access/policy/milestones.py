"""Milestones and deliverables (notifications: `notifications.py`).

| model        | view                                                   | edit                        | manage        |
|--------------|--------------------------------------------------------|-----------------------------|---------------|
| Milestone    | the project's consortium, staff                        | coordinators, the owner,    | coordinators  |
|              |                                                        | the owner organisation's    |               |
|              |                                                        | project editors             |               |
| Deliverable  | consortium/public: the consortium, staff;              | coordinators, the author,   | coordinators  |
|              | restricted: current project members, staff;            | the lead organisation's     |               |
|              | public + approved/submitted in a live public project:  | project editors             |               |
|              | everyone (the public catalogue)                        |                             |               |

Milestones carry internal plans, so they never reach the public catalogue; deliverables do, once
approved, because funders publish them anyway.
"""

from django.db.models import Q

from apps.access.policy import NOTHING, Action, rule
from apps.access.policy.projects import insider_q, live_q, public_summary_q
from apps.access.policy.subjects import (
    EDITOR_ROLES,
    active_organisation_ids,
    is_signed_in,
    is_staff,
    member_of_project_q,
    page_fact,
)
from apps.milestones.models import Deliverable, Milestone
from apps.projects.models import MembershipRole, Project

PUBLISHED_DELIVERABLE_STATUSES = (Deliverable.Status.APPROVED, Deliverable.Status.SUBMITTED)


def coordinator_q(user) -> Q:
    return member_of_project_q(user, "project__", roles=[MembershipRole.COORDINATOR])


def organisation_editor_q(user, organisation_field: str) -> Q:
    """A project editor (coordinator or contributor) from the organisation at `organisation_field`."""
    return member_of_project_q(user, "project__", roles=EDITOR_ROLES) & Q(
        **{f"{organisation_field}__one_of": active_organisation_ids(user)}
    )


@rule(Milestone, Action.VIEW)
def milestone_view(user) -> Q:
    if is_staff(user):
        return Q()
    return insider_q(user, "project__")


@rule(Milestone, Action.EDIT)
def milestone_edit(user) -> Q:
    """Status updates with a note: the owner, the owner organisation's editors, coordinators."""
    if not is_signed_in(user):
        return NOTHING
    return (
        coordinator_q(user)
        | (Q(owner_id=user.pk) & member_of_project_q(user, "project__"))
        | organisation_editor_q(user, "owner_organisation_id")
    )


@rule(Milestone, Action.MANAGE)
def milestone_manage(user) -> Q:
    if not is_signed_in(user):
        return NOTHING
    return coordinator_q(user)


def public_deliverable_q() -> Q:
    """What the public catalogue shows: approved public deliverables of live public projects."""
    return (
        Q(dissemination=Deliverable.Dissemination.PUBLIC)
        & Q(status__in=PUBLISHED_DELIVERABLE_STATUSES)
        & live_q("project__")
        & public_summary_q("project__")
    )


@rule(Deliverable, Action.VIEW)
def deliverable_view(user) -> Q:
    if is_staff(user):
        return Q()
    public = public_deliverable_q()
    if not is_signed_in(user):
        return public
    restricted = Q(dissemination=Deliverable.Dissemination.RESTRICTED)
    members = member_of_project_q(user, "project__")
    return public | (~restricted & insider_q(user, "project__")) | (restricted & members)


@rule(Deliverable, Action.EDIT)
def deliverable_edit(user) -> Q:
    if not is_signed_in(user):
        return NOTHING
    return (
        coordinator_q(user)
        | (Q(author_id=user.pk) & member_of_project_q(user, "project__", roles=EDITOR_ROLES))
        | organisation_editor_q(user, "lead_organisation_id")
    )


@rule(Deliverable, Action.MANAGE)
def deliverable_manage(user) -> Q:
    if not is_signed_in(user):
        return NOTHING
    return coordinator_q(user)


def can_see_milestones(user, project) -> bool:
    """Whether a project's milestone list (and timeline) is open to `user`: the same people as
    `milestone_view`, asked of the project so that an empty list is answered too."""
    if is_staff(user):
        return True
    if not is_signed_in(user):
        return False
    known = page_fact(user, project, "insider")
    if known is not None:
        return known
    # The policy's own probe: the rule is the filter, so the read is the policy's.
    return Project.objects.filter(pk=project.pk).filter(insider_q(user)).policy_checked().exists()
