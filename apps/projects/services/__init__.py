"""Writes for projects: one service per change, each atomic, permission-checked and audited."""

from apps.projects.services.memberships import (
    membership_add,
    membership_change_role,
    membership_end,
)
from apps.projects.services.partners import (
    partner_accept,
    partner_decline,
    partner_invite,
    partner_leave,
)
from apps.projects.services.projects import (
    available_transitions,
    project_activate,
    project_archive,
    project_complete,
    project_funder_add,
    project_funder_remove,
    project_propose,
    project_reject,
    project_transition,
    project_update,
    project_withdraw,
)
from apps.projects.services.work import (
    biomarker_create,
    biomarker_delete,
    biomarker_update,
    work_package_create,
    work_package_delete,
    work_package_update,
)

__all__ = [
    "available_transitions",
    "biomarker_create",
    "biomarker_delete",
    "biomarker_update",
    "membership_add",
    "membership_change_role",
    "membership_end",
    "partner_accept",
    "partner_decline",
    "partner_invite",
    "partner_leave",
    "project_activate",
    "project_archive",
    "project_complete",
    "project_funder_add",
    "project_funder_remove",
    "project_propose",
    "project_reject",
    "project_transition",
    "project_update",
    "project_withdraw",
    "work_package_create",
    "work_package_delete",
    "work_package_update",
]
