"""Access rules the API needs that no domain module registers.

Registered from ApiConfig.ready() (the last app), and only when still missing, so a domain
engineer adding the rule in `apps/access/policy/` later simply takes over.
"""

from django.db.models import Q

from apps.access.policy import _RULES, Action, rule
from apps.diseases.models import DiseaseArea


def _disease_area_view(user) -> Q:
    """The disease-area taxonomy is public reference data, curated by staff."""
    return Q()


def register_missing() -> None:
    if (DiseaseArea, str(Action.VIEW)) not in _RULES:
        rule(DiseaseArea, Action.VIEW)(_disease_area_view)
