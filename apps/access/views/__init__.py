"""Controlled-access pages. Thin: fetch through the policy, call a service, render.

Every lookup goes through `get_for_user` (404 when not visible, 403 when visible but the action
is refused); services re-check what they must, so a stale page can never decide twice."""

from apps.access.views.committees import (  # noqa: F401
    committee_member_chair,
    committee_member_end,
    committee_members,
    committee_queue,
    policy_edit,
)
from apps.access.views.decisions import (  # noqa: F401
    request_decide,
    request_declare_conflict,
    request_detail,
    request_steward,
)
from apps.access.views.grants import grant_detail, grant_manage, grant_renew  # noqa: F401
from apps.access.views.requests import (  # noqa: F401
    grant_list,
    index,
    request_create,
    request_edit,
    request_list,
    request_reapply,
    request_submit,
    request_withdraw,
)
