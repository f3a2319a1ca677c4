"""Institutional sign-in fixtures: Kelvin University (the partner organisation) owns
kelvin.ac.uk and signs its people in through a SAML test IdP that really signs its answers."""

import pytest
from django.test import Client

from apps.organisations.models import OrganisationDomain
from apps.sso.models import IdentityProvider
from tests.sso.idp import SAML_EMAIL, SAML_GIVEN_NAME, SAML_SURNAME, SamlTestIdp

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
