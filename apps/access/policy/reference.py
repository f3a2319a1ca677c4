"""Reference data every visitor may read: the disease-area taxonomy, curated by staff."""

from django.db.models import Q

from apps.access.policy import Action, rule
from apps.diseases.models import DiseaseArea


@rule(DiseaseArea, Action.VIEW)
def disease_area_view(user) -> Q:
    """Public reference data: the catalogue's disease filter and the API both list it."""
    return Q()
