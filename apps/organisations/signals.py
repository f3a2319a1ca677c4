"""Adapters from allauth's signals to our services: no rules live here (STYLE.md §1)."""

from allauth.account.signals import email_confirmed
from django.dispatch import receiver
from django.urls import reverse

from apps.core.welcome import welcome_stash


@receiver(email_confirmed, dispatch_uid="organisations.affiliate_on_email_confirmed")
def affiliate_on_email_confirmed(sender, request, email_address, **kwargs):
    """A freshly verified address at an approved organisation's domain affiliates its owner."""
    from apps.organisations.services import affiliation_from_verified_email

    affiliation = affiliation_from_verified_email(
        user=email_address.user, email=email_address.email, request=request
    )
    if affiliation is not None:
        welcome_stash(
            request,
            organisation_name=affiliation.organisation.name,
            organisation_url=reverse("organisations:profile", args=[affiliation.organisation.slug]),
            domain=email_address.email.rpartition("@")[2].lower(),
        )
