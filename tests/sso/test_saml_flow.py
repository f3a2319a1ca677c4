"""Issue 10, acceptance 1 (SAML): the whole flow end to end — discovery, the portal's signed-off
AuthnRequest, the IdP's signed assertion posted to allauth's ACS, signed in and affiliated."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from apps.audit.models import AuditEvent
from apps.organisations.models import Affiliation, OrganisationDomain
from apps.sso.models import IdentityProvider
from tests.sso.idp import SAML_EMAIL, SAML_GIVEN_NAME, SAML_SURNAME, SamlTestIdp

pytestmark = pytest.mark.django_db

SP_ENTITY_ID = "https://stratum.test/saml/kelvin"


@pytest.fixture
def client():
    """A browser's client: it always sends a Host header, and a real one (python3-saml reads
    it and refuses single-label hosts such as "testserver")."""
    return Client(HTTP_HOST="stratum.test")


@pytest.fixture
def saml_idp():
    return SamlTestIdp("https://idp.kelvin.ac.uk/saml", "https://idp.kelvin.ac.uk/sso")


@pytest.fixture
def kelvin_saml(partner_org, saml_idp):
    OrganisationDomain.objects.create(organisation=partner_org, domain="kelvin.ac.uk")
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


def _start_sign_in(client, email):
    """Discovery, then the hand-over page, then the redirect to the IdP: its URL."""
    found = client.post("/sso/sign-in/", {"email": email})
    assert found.status_code == 302
    handover = client.get(found["Location"])
    assert handover.status_code == 200
    to_idp = client.post(found["Location"].split("?")[0], {"login_hint": email})
    assert to_idp.status_code == 302
    return handover, to_idp["Location"]


def _answer(client, saml_idp, redirect_url, email, first="Grace", last="Hopper"):
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


def test_a_person_signs_in_through_saml_and_is_affiliated(client, kelvin_saml, saml_idp):
    handover, redirect_url = _start_sign_in(client, "grace@kelvin.ac.uk")
    # The hand-over form may reach the IdP under the strict CSP, and nothing else may.
    assert "form-action 'self' https://idp.kelvin.ac.uk" in handover["Content-Security-Policy"]
    assert redirect_url.startswith(saml_idp.sso_url + "?SAMLRequest=")
    request = saml_idp.read_request(redirect_url)
    assert request["issuer"] == SP_ENTITY_ID
    assert request["acs_url"] == "http://stratum.test/accounts/saml/kelvin-saml/acs/"

    finished = _answer(client, saml_idp, redirect_url, "grace@kelvin.ac.uk")

    assert finished.status_code == 302
    assert finished["Location"] == "/"
    user = get_user_model().objects.get(email="grace@kelvin.ac.uk")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert (user.first_name, user.last_name) == ("Grace", "Hopper")
    assert user.emailaddress_set.get().verified
    affiliation = Affiliation.objects.get(user=user)
    assert affiliation.organisation == kelvin_saml.organisation
    event = AuditEvent.objects.get(action="signin.sso")
    assert event.details["provider"] == "kelvin-saml"
    assert event.details["affiliated"] is True
    assert AuditEvent.objects.filter(action="signin.succeeded", target_id=str(user.pk)).exists()


def test_an_assertion_signed_by_another_key_is_refused(client, kelvin_saml, saml_idp):
    _, redirect_url = _start_sign_in(client, "grace@kelvin.ac.uk")
    impostor = SamlTestIdp(saml_idp.entity_id, saml_idp.sso_url)

    finished = _answer(client, impostor, redirect_url, "grace@kelvin.ac.uk")

    assert finished.status_code == 401
    assert "Organisation sign-in failed" in finished.content.decode()
    assert "_auth_user_id" not in client.session
    assert not get_user_model().objects.filter(email="grace@kelvin.ac.uk").exists()


def test_an_address_outside_the_organisations_domains_is_not_affiliated(
    client, kelvin_saml, saml_idp
):
    _, redirect_url = _start_sign_in(client, "grace@kelvin.ac.uk")

    _answer(client, saml_idp, redirect_url, "grace.hopper@gmail.test")

    user = get_user_model().objects.get(email="grace.hopper@gmail.test")
    assert not Affiliation.objects.filter(user=user).exists()
    # Not vouched for by the organisation: the address is verified the normal way first.
    assert not user.emailaddress_set.get().verified
    assert "_auth_user_id" not in client.session
