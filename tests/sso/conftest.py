"""Institutional sign-in fixtures: Kelvin University (the partner organisation) owns
kelvin.ac.uk and signs its people in through a SAML test IdP that really signs its answers."""

from urllib.parse import urlsplit

import pytest
from django.test import Client
from oauth2_provider.models import Application

from apps.organisations.models import OrganisationDomain
from apps.sso.models import IdentityProvider
from tests.accounts.factories import UserFactory
from tests.sso.idp import (
    IDP_DIRECTORY,
    SAML_EMAIL,
    SAML_GIVEN_NAME,
    SAML_SURNAME,
    SamlTestIdp,
    oauth2_provider_settings,
)

SP_ENTITY_ID = "https://stratum.test/saml/kelvin"


@pytest.fixture
def client():
    """A browser's client: it always sends a Host header, and a real one (python3-saml reads
    it and refuses single-label hosts such as "testserver")."""
    return Client(HTTP_HOST="stratum.test")


@pytest.fixture
def kelvin_domain(partner_org):
    return OrganisationDomain.objects.create(organisation=partner_org, domain="kelvin.ac.uk")


@pytest.fixture
def saml_idp():
    return SamlTestIdp("https://idp.kelvin.ac.uk/saml", "https://idp.kelvin.ac.uk/sso")


@pytest.fixture
def kelvin_saml(partner_org, kelvin_domain, saml_idp):
    provider = IdentityProvider(
        organisation=partner_org,
        protocol=IdentityProvider.Protocol.SAML,
        slug="kelvin-saml",
        name="Kelvin University",
        entity_id=saml_idp.entity_id,
        sp_entity_id=SP_ENTITY_ID,
        metadata_xml=saml_idp.metadata(),
        attribute_mapping={
            "email": SAML_EMAIL,
            "first_name": SAML_GIVEN_NAME,
            "last_name": SAML_SURNAME,
        },
    )
    provider.full_clean()
    provider.save()
    return provider


def start_sign_in(client, email, slug=None):
    """Discovery (or the provider's own sign-in page when `slug` is given), the hand-over
    page, "Continue": (hand-over response, the IdP redirect URL)."""
    if slug:
        url = f"/sso/sign-in/{slug}/"
    else:
        found = client.post("/sso/sign-in/", {"email": email})
        assert found.status_code == 302
        url = found["Location"]
    handover = client.get(url)
    assert handover.status_code == 200
    to_idp = client.post(url.split("?")[0], {"login_hint": email})
    assert to_idp.status_code == 302
    return handover, to_idp["Location"]


def answer(client, saml_idp, redirect_url, email, first="Grace", last="Hopper"):
    """The IdP signs the person in and posts its assertion back; the portal's last answer."""
    request = saml_idp.read_request(redirect_url)
    saml_response = saml_idp.response(
        in_response_to=request["id"],
        acs_url=request["acs_url"],
        audience=request["issuer"],
        name_id=email,
        attributes={SAML_EMAIL: email, SAML_GIVEN_NAME: first, SAML_SURNAME: last},
    )
    posted = client.post(
        request["acs_url"], {"SAMLResponse": saml_response, "RelayState": request["relay_state"]}
    )
    assert posted.status_code == 302  # allauth's ACS hands over to its finishing view
    return client.get(posted["Location"])


def saml_sign_in(client, saml_idp, email, asserted_email=None):
    _, redirect_url = start_sign_in(client, email)
    return answer(client, saml_idp, redirect_url, asserted_email or email)


CLIENT_ID = "stratum-portal"
CLIENT_SECRET = "kelvin-issued-secret-value"


# --- OpenID Connect: django-oauth-toolkit on the live server ---------------------------------
@pytest.fixture
def hosts(live_server):
    """The portal and the IdP: one live server reached under two host names, so that each
    keeps its own cookies like two sites."""
    port = urlsplit(live_server.url).port
    return {"portal": f"http://127.0.0.1:{port}", "idp": f"http://localhost:{port}"}


@pytest.fixture
def kelvin_oidc(settings, hosts, partner_org, kelvin_domain):
    """Kelvin University's OpenID Connect provider, registered at the IdP and in the portal."""
    settings.ROOT_URLCONF = "tests.sso.idp_urls"
    settings.OAUTH2_PROVIDER = oauth2_provider_settings(issuer=f"{hosts['idp']}/idp/o")
    Application.objects.create(
        name="Stratum",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=f"{hosts['portal']}/accounts/oidc/kelvin/login/callback/",
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    provider = IdentityProvider(
        organisation=partner_org,
        protocol=IdentityProvider.Protocol.OIDC,
        slug="kelvin",
        name="Kelvin University",
        server_url=f"{hosts['idp']}/idp/o",
        client_id=CLIENT_ID,
    )
    provider.set_client_secret(CLIENT_SECRET)
    provider.full_clean()
    provider.save()
    yield provider
    IDP_DIRECTORY.clear()


def idp_account(email: str, **claims) -> object:
    """An account at the IdP whose directory entry says who the person is."""
    account = UserFactory(email=f"{email.partition('@')[0]}@idp-accounts.test")
    IDP_DIRECTORY[str(account.pk)] = {"email": email, "email_verified": True, **claims}
    return account
