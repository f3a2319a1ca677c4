"""Receivers: what a completed sign-in through an organisation's provider does."""

from allauth.account.signals import user_logged_in
from django.dispatch import receiver

from apps.sso import selectors, services
from apps.sso.adapters import SocialAccountAdapter


@receiver(user_logged_in, dispatch_uid="sso.signed_in_through_provider")
def on_signed_in(sender, request, user, sociallogin=None, **kwargs):
    """allauth sends this once every stage (e-mail verification, the second factor) is passed,
    so nothing here happens for a half-finished sign-in."""
    if sociallogin is None:
        return
    idp = SocialAccountAdapter.identity_provider(
        sociallogin.provider
    ) or selectors.active_identity_provider(sociallogin.account.provider)
    if idp is None:
        return
    verified = [a.email for a in sociallogin.email_addresses if a.verified]
    email = verified[0] if verified else ""
    services.sso_signin_record(
        user=user, provider=idp, email=email, uid=sociallogin.account.uid, request=request
    )
