"""Writes for institutional sign-in: provider configuration and what signing in through an
organisation's identity provider does to the person."""

from django.core.cache import cache
from django.db import transaction

from apps.audit.services import audit_record, client_ip
from apps.organisations.services.affiliations import affiliation_create
from apps.sso.models import IdentityProvider
from apps.sso.selectors import email_belongs_to_organisation

# Fields whose change is worth naming in the audit trail (never the secret's value).
AUDITED_FIELDS = [
    "organisation_id",
    "protocol",
    "slug",
    "name",
    "enabled",
    "server_url",
    "client_id",
    "scopes",
    "entity_id",
    "sp_entity_id",
    "metadata_url",
    "metadata_xml",
    "attribute_mapping",
]


@transaction.atomic
def identity_provider_save(
    *, provider: IdentityProvider, client_secret: str = "", actor, request=None
) -> IdentityProvider:
    """Create or update a provider. An empty `client_secret` keeps the stored one (forms never
    show it back); a non-empty one replaces it, encrypted."""
    created = provider._state.adding
    before = {}
    if not created:
        before = IdentityProvider.objects.filter(pk=provider.pk).values(*AUDITED_FIELDS).first()
    if client_secret:
        provider.set_client_secret(client_secret)
    provider.full_clean()
    provider.save()
    changed = [f for f in AUDITED_FIELDS if before and before[f] != getattr(provider, f)]
    audit_record(
        actor=actor,
        action="sso.provider_create" if created else "sso.provider_update",
        target=provider,
        request=request,
        organisation_id=provider.organisation_id,
        details={
            "protocol": provider.protocol,
            "enabled": provider.enabled,
            "changed": changed,
            "secret_replaced": bool(client_secret),
        },
    )
    return provider


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


@transaction.atomic
def sso_signin_record(*, user, provider: IdentityProvider, email: str, uid: str, request=None):
    """After a completed sign-in through `provider`: audit it and, when the address the IdP
    vouched for is in one of the organisation's domains, affiliate the person. An IdP asserting
    an address outside its organisation's domains signs the person in (with the normal e-mail
    verification) but never makes them a member."""
    in_domain = email_belongs_to_organisation(email, provider.organisation_id)
    affiliation = (
        sso_affiliate(user=user, provider=provider, request=request) if in_domain else None
    )
    audit_record(
        actor=user,
        action="signin.sso",
        target=user,
        request=request,
        organisation_id=provider.organisation_id,
        details={
            "provider": provider.slug,
            "protocol": provider.protocol,
            "uid": uid[:200],
            "email_in_organisation_domain": in_domain,
            "affiliated": affiliation is not None,
        },
    )
    return affiliation


# At most this many failed SSO sign-ins per provider and IP address per window are audited, so
# a replay or probing run against the ACS cannot flood the log (as for password sign-ins).
FAILED_SSO_AUDIT_LIMIT = 10
FAILED_SSO_AUDIT_WINDOW = 15 * 60


def _under_failed_audit_limit(key: str) -> bool:
    cache_key = f"sso:failed-signin-audit:{key}"
    cache.add(cache_key, 0, FAILED_SSO_AUDIT_WINDOW)
    try:
        return cache.incr(cache_key) <= FAILED_SSO_AUDIT_LIMIT
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, FAILED_SSO_AUDIT_WINDOW)
        return True


def sso_signin_failed_record(*, provider: IdentityProvider, error: str, reason: str, request):
    """A sign-in through `provider` that failed or was refused (bad signature, replay,
    cancelled at the IdP…), written only while under the limit."""
    if not _under_failed_audit_limit(f"{provider.pk}:{client_ip(request) or 'unknown'}"):
        return None
    return audit_record(
        actor=None,
        actor_role="anonymous",
        action="signin.sso_failed",
        target=provider,
        request=request,
        organisation_id=provider.organisation_id,
        details={"provider": provider.slug, "error": error, "reason": reason[:300]},
    )
