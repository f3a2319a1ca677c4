"""Issue 10, acceptance 1 (SAML): the whole flow end to end — discovery, the portal's signed-off
AuthnRequest, the IdP's signed assertion posted to allauth's ACS, signed in and affiliated."""

import pytest
from django.contrib.auth import get_user_model

from apps.audit.models import AuditEvent
from apps.organisations.models import Affiliation
from apps.sso.services import FAILED_SSO_AUDIT_LIMIT
from tests.sso.conftest import SP_ENTITY_ID, answer, start_sign_in
from tests.sso.idp import SAML_METADATA, SamlTestIdp

pytestmark = pytest.mark.django_db


def test_a_person_signs_in_through_saml_and_is_affiliated(client, kelvin_saml, saml_idp):
    handover, redirect_url = start_sign_in(client, "grace@kelvin.ac.uk")
    # The hand-over form may reach the IdP under the strict CSP, and nothing else may.
    assert "form-action 'self' https://idp.kelvin.ac.uk" in handover["Content-Security-Policy"]
    assert redirect_url.startswith(saml_idp.sso_url + "?SAMLRequest=")
    request = saml_idp.read_request(redirect_url)
    assert request["issuer"] == SP_ENTITY_ID
    assert request["acs_url"] == "http://stratum.test/accounts/saml/kelvin-saml/acs/"

    finished = answer(client, saml_idp, redirect_url, "grace@kelvin.ac.uk")

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
    _, redirect_url = start_sign_in(client, "grace@kelvin.ac.uk")
    impostor = SamlTestIdp(saml_idp.entity_id, saml_idp.sso_url)

    finished = answer(client, impostor, redirect_url, "grace@kelvin.ac.uk")

    assert finished.status_code == 401
    assert "Organisation sign-in failed" in finished.content.decode()
    assert "_auth_user_id" not in client.session
    assert not get_user_model().objects.filter(email="grace@kelvin.ac.uk").exists()
    event = AuditEvent.objects.get(action="signin.sso_failed")
    assert event.target_id == str(kelvin_saml.pk)
    assert "Signature validation failed" in event.details["reason"]


def test_failed_sso_sign_ins_are_audited_up_to_a_limit(client, kelvin_saml, saml_idp):
    impostor = SamlTestIdp(saml_idp.entity_id, saml_idp.sso_url)
    for _ in range(FAILED_SSO_AUDIT_LIMIT + 3):
        _, redirect_url = start_sign_in(client, "grace@kelvin.ac.uk")
        assert answer(client, impostor, redirect_url, "grace@kelvin.ac.uk").status_code == 401

    assert AuditEvent.objects.filter(action="signin.sso_failed").count() == FAILED_SSO_AUDIT_LIMIT


def test_an_address_outside_the_organisations_domains_is_not_affiliated(
    client, kelvin_saml, saml_idp
):
    _, redirect_url = start_sign_in(client, "grace@kelvin.ac.uk")

    answer(client, saml_idp, redirect_url, "grace.hopper@gmail.test")

    user = get_user_model().objects.get(email="grace.hopper@gmail.test")
    assert not Affiliation.objects.filter(user=user).exists()
    # Not vouched for by the organisation: the address is verified the normal way first.
    assert not user.emailaddress_set.get().verified
    assert "_auth_user_id" not in client.session


def test_the_portal_publishes_its_saml_metadata_for_the_idp(client, kelvin_saml):
    response = client.get("/accounts/saml/kelvin-saml/metadata/")

    xml = response.content.decode()
    assert response.status_code == 200
    assert f'entityID="{SP_ENTITY_ID}"' in xml
    assert 'Location="http://stratum.test/accounts/saml/kelvin-saml/acs/"' in xml


@pytest.mark.django_db(transaction=True)
def test_the_idp_metadata_can_come_from_its_url(
    client, live_server, settings, kelvin_saml, saml_idp
):
    """allauth fetches the metadata over HTTP (and caches it); the flow is the same."""
    settings.ROOT_URLCONF = "tests.sso.idp_urls"
    SAML_METADATA["kelvin"] = saml_idp.metadata()
    kelvin_saml.metadata_xml = ""
    kelvin_saml.metadata_url = f"{live_server.url}/idp/saml/metadata/kelvin/"
    kelvin_saml.full_clean()
    kelvin_saml.save()
    try:
        handover, redirect_url = start_sign_in(client, "grace@kelvin.ac.uk")
        finished = answer(client, saml_idp, redirect_url, "grace@kelvin.ac.uk")
    finally:
        SAML_METADATA.clear()

    assert "form-action 'self' https://idp.kelvin.ac.uk" in handover["Content-Security-Policy"]
    assert finished["Location"] == "/"
    user = get_user_model().objects.get(email="grace@kelvin.ac.uk")
    assert Affiliation.objects.get(user=user).organisation == kelvin_saml.organisation
