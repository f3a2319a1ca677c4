"""allauth's social-account adapter for Stratum: every enabled identity provider configured by
staff (apps.sso.models.IdentityProvider) is its own allauth provider app, and trust in the
address an IdP asserts stops at its organisation's e-mail domains."""

import logging
from functools import lru_cache

from allauth.account.models import EmailAddress
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp
from django.core.exceptions import ValidationError
from django.db.models import Q

from apps.sso.crypto import SecretUnreadable
from apps.sso.models import IdentityProvider
from apps.sso.saml import idp_settings_from_metadata
from apps.sso.selectors import active_identity_providers, email_belongs_to_organisation
from apps.sso.services import sso_signin_failed_record

logger = logging.getLogger(__name__)

# The SocialApp.settings key naming the IdentityProvider behind an app.
IDP_KEY = "stratum_identity_provider"


@lru_cache(maxsize=64)
def _parsed_metadata(xml: str, entity_id: str) -> dict:
    return idp_settings_from_metadata(xml, entity_id)


def _oidc_settings(idp: IdentityProvider) -> dict:
    return {
        "server_url": idp.server_url,
        "scope": idp.scope_list,
        # PKCE on top of the client secret: a stolen authorisation code is worthless.
        "oauth_pkce_enabled": True,
    }


def _saml_settings(idp: IdentityProvider) -> dict:
    if idp.metadata_url:
        # allauth fetches and caches the metadata (so key rollover at the IdP just works).
        idp_config = {"entity_id": idp.entity_id, "metadata_url": idp.metadata_url}
    else:
        idp_config = dict(_parsed_metadata(idp.metadata_xml, idp.entity_id))
    mapping = idp.attribute_mapping or {}
    settings = {
        "idp": idp_config,
        "attribute_mapping": {k: v for k, v in mapping.items() if v},
        "advanced": {
            "strict": True,
            # Only signed assertions, only answers to requests we sent.
            "want_assertion_signed": True,
            "reject_idp_initiated_sso": True,
            "want_attribute_statement": False,
        },
    }
    if idp.sp_entity_id:
        settings["sp"] = {"entity_id": idp.sp_entity_id}
    return settings


def social_app_for(idp: IdentityProvider) -> SocialApp | None:
    """The (unsaved) allauth app for `idp`; None when its configuration cannot be used."""
    try:
        if idp.protocol == IdentityProvider.Protocol.OIDC:
            app = SocialApp(
                provider=idp.protocol,
                provider_id=idp.slug,
                name=idp.name,
                client_id=idp.client_id,
                secret=idp.client_secret,
                settings=_oidc_settings(idp),
            )
        else:
            # allauth's SAML views find the app by client_id ("organization slug").
            app = SocialApp(
                provider=idp.protocol,
                provider_id=idp.slug,
                name=idp.name,
                client_id=idp.slug,
                settings=_saml_settings(idp),
            )
    except (SecretUnreadable, ValidationError) as error:  # one broken row must not break sign-in
        logger.error("Identity provider %s is unusable: %s", idp.slug, error)
        return None
    app.settings[IDP_KEY] = str(idp.pk)
    return app


def _narrowed(providers, provider, client_id):
    """allauth asks by protocol ("saml"), by provider id (our slug) and by client id; narrow in
    SQL so that a request builds (and decrypts) only the apps it asks about."""
    if provider in IdentityProvider.Protocol.values:
        providers = providers.filter(protocol=provider)
    elif provider:
        providers = providers.filter(slug=provider)
    if client_id:
        providers = providers.filter(
            Q(protocol=IdentityProvider.Protocol.SAML, slug=client_id)
            | Q(protocol=IdentityProvider.Protocol.OIDC, client_id=client_id)
        )
    return providers


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(self, request, provider=None, client_id=None) -> list[SocialApp]:
        """Only our identity providers: SocialApp rows and settings-defined apps would bypass
        the organisation rules below, so they are not consulted."""
        idps = _narrowed(active_identity_providers(), provider, client_id)
        return [app for app in map(social_app_for, idps) if app is not None]

    # --- which IdP, and what it may vouch for ------------------------------------------------
    @staticmethod
    def identity_provider(provider) -> IdentityProvider | None:
        """The IdentityProvider behind an allauth provider instance (None for anything else)."""
        app = getattr(provider, "app", None)
        idp_id = app.settings.get(IDP_KEY) if app is not None else None
        if not idp_id:
            return None
        # Asked several times per sign-in (each address, the lookup, the signal): once is enough.
        cached = getattr(provider, "_stratum_idp", None)
        if cached is None or str(cached.pk) != idp_id:
            cached = active_identity_providers().filter(pk=idp_id).first()
            provider._stratum_idp = cached
        return cached

    def is_email_verified(self, provider, email) -> bool:
        idp = self.identity_provider(provider)
        return bool(idp and email_belongs_to_organisation(email, idp.organisation_id))

    def can_authenticate_by_email(self, login, email: str) -> bool:
        """Connect an existing account with the same verified address only when the IdP is the
        organisation's configured one and the address is in that organisation's domains."""
        idp = self.identity_provider(login.provider)
        return bool(idp and email_belongs_to_organisation(email, idp.organisation_id))

    def on_authentication_error(
        self, request, provider, error=None, exception=None, extra_context=None
    ) -> None:
        idp = self.identity_provider(provider)
        if idp is None:
            return
        context = extra_context or {}
        reason = context.get("saml_last_error_reason") or (str(exception) if exception else "")
        sso_signin_failed_record(
            provider=idp, error=str(error or "unknown"), reason=reason, request=request
        )

    def populate_user(self, request, sociallogin, data):
        idp = self.identity_provider(sociallogin.provider)
        if idp is not None and idp.protocol == IdentityProvider.Protocol.OIDC:
            data = {**data, **_mapped_oidc_claims(idp, sociallogin)}
        user = super().populate_user(request, sociallogin, data)
        if idp is not None:
            _trust_only_organisation_addresses(idp, sociallogin)
        return user


def _oidc_claims(sociallogin) -> dict:
    extra = sociallogin.account.extra_data or {}
    return {**(extra.get("id_token") or {}), **(extra.get("userinfo") or {})}


def _mapped_oidc_claims(idp: IdentityProvider, sociallogin) -> dict:
    """The organisation's claim names for e-mail and names (allauth reads the standard ones)."""
    claims = _oidc_claims(sociallogin)
    mapped = {}
    for field in ("email", "first_name", "last_name"):
        claim = (idp.attribute_mapping or {}).get(field)
        if claim and claims.get(claim):
            mapped[field] = str(claims[claim])
    email = mapped.get("email")
    if email and mapping_differs(idp, "email", "email"):
        # The organisation's claim is the address; the standard one may be private.
        sociallogin.email_addresses[:] = [EmailAddress(email=email.lower(), primary=True)]
    return mapped


def mapping_differs(idp: IdentityProvider, field: str, standard: str) -> bool:
    return (idp.attribute_mapping or {}).get(field, standard) != standard


def _trust_only_organisation_addresses(idp: IdentityProvider, sociallogin) -> None:
    """An address is verified when it is in the organisation's domains — whatever the IdP's
    own email_verified says — and unverified otherwise (normal verification then applies)."""
    for address in sociallogin.email_addresses:
        address.verified = email_belongs_to_organisation(address.email, idp.organisation_id)
