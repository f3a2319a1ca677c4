from django.db.models import QuerySet

from apps.organisations.models import Affiliation


def user_current_affiliations(*, user) -> QuerySet[Affiliation]:
    """The person's current affiliations (any organisation status), organisation loaded."""
    return user.affiliations.filter(ended_at__isnull=True).select_related("organisation")
