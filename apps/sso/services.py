"""What signing in through an organisation's identity provider does to the person."""

from django.db import transaction

from apps.organisations.services.affiliations import affiliation_create


@transaction.atomic
def sso_affiliate(*, user, provider, request=None):
    """Affiliate `user` to the provider's organisation (idempotent): the institution vouched
    for them by signing them in."""
    return affiliation_create(
        user=user,
        organisation=provider.organisation,
        source=f"sso:{provider.protocol}",
        request=request,
    )
