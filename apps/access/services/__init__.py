"""Access services (writes), split by sub-domain; import them from here."""

from apps.access.services.committees import (  # noqa: F401
    committee_chair_set,
    committee_create,
    committee_member_add,
    committee_member_end,
)
from apps.access.services.decisions import (  # noqa: F401
    access_request_approve,
    access_request_declare_conflict,
    access_request_escalate_if_needed,
    access_request_reject,
    access_request_return,
    access_request_steward_decide,
)
from apps.access.services.grants import (  # noqa: F401
    grant_reinstate,
    grant_revoke,
    grant_suspend,
    grants_mark_expired,
    grants_send_expiry_notices,
    grants_suspend_for_affiliation,
    grants_suspend_for_npu_breach,
    grants_suspend_for_organisation,
)
from apps.access.services.policies import data_use_policy_set  # noqa: F401
from apps.access.services.requests import (  # noqa: F401
    access_request_create,
    access_request_reapply,
    access_request_renew,
    access_request_submit,
    access_request_update,
    access_request_withdraw,
)
from apps.access.services.votes import (  # noqa: F401
    access_request_vote,
    committee_rules_set,
)
