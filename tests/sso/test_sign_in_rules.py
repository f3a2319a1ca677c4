"""What an IdP may vouch for: accounts are connected only through the organisation's own
provider and domains; disabled providers are refused; the second factor still applies."""

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.test import Client

from apps.audit.models import AuditEvent
from apps.organisations.models import Affiliation, AffiliationRole
from apps.sso.models import IdentityProvider
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.organisations.factories import AffiliationFactory
from tests.security.conftest import current_code, enrol_totp
from tests.sso.conftest import answer, saml_sign_in, start_sign_in

pytestmark = pytest.mark.django_db


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def test_an_existing_account_in_the_organisations_domain_is_connected(
    client, kelvin_saml, saml_idp
):
    grace = UserFactory(email="grace@kelvin.ac.uk")

    finished = saml_sign_in(client, saml_idp, "grace@kelvin.ac.uk")

    assert finished.status_code == 302
    assert signed_in_user_id(client) == str(grace.pk)
    assert get_user_model().objects.filter(email__iexact="grace@kelvin.ac.uk").count() == 1
    assert SocialAccount.objects.get(user=grace).provider == "kelvin-saml"
    grace.refresh_from_db()
    assert grace.check_password(DEFAULT_PASSWORD)  # a verified address: nothing is wiped
    assert Affiliation.objects.get(user=grace).organisation == kelvin_saml.organisation


def test_an_idp_cannot_take_over_an_account_outside_its_organisations_domains(
    client, kelvin_saml, saml_idp
):
    victim = UserFactory(email="victim@gmail.test")

    finished = saml_sign_in(client, saml_idp, "grace@kelvin.ac.uk", "victim@gmail.test")

    assert signed_in_user_id(client) != str(victim.pk)
    assert not SocialAccount.objects.filter(user=victim).exists()
    assert not Affiliation.objects.filter(user=victim).exists()
    # As for any sign-up with a taken address: "check your e-mail", and no second account.
    assert finished["Location"] == "/accounts/confirm-email/"
    assert get_user_model().objects.filter(email__iexact="victim@gmail.test").count() == 1


def test_another_organisations_idp_cannot_sign_in_its_people(
    client, kelvin_saml, saml_idp, other_org
):
    """Diagnostix's IdP asserts a kelvin.ac.uk address: no connection, no affiliation."""
    grace = UserFactory(email="grace@kelvin.ac.uk")
    kelvin_saml.organisation = other_org
    kelvin_saml.save()

    _, redirect_url = start_sign_in(client, "grace@kelvin.ac.uk", slug="kelvin-saml")
    answer(client, saml_idp, redirect_url, "grace@kelvin.ac.uk")

    assert signed_in_user_id(client) != str(grace.pk)
    assert not SocialAccount.objects.filter(user=grace).exists()
    assert not Affiliation.objects.filter(user=grace, organisation=other_org).exists()


def test_a_disabled_provider_is_refused_even_mid_sign_in(client, kelvin_saml, saml_idp):
    _, redirect_url = start_sign_in(client, "grace@kelvin.ac.uk")
    IdentityProvider.objects.filter(pk=kelvin_saml.pk).update(enabled=False)

    request = saml_idp.read_request(redirect_url)
    response = saml_idp.response(
        in_response_to=request["id"],
        acs_url=request["acs_url"],
        audience=request["issuer"],
        name_id="grace@kelvin.ac.uk",
        attributes={"urn:oid:0.9.2342.19200300.100.1.3": "grace@kelvin.ac.uk"},
    )
    acs = client.post(request["acs_url"], {"SAMLResponse": response})
    finished = client.get(acs["Location"])

    assert finished.status_code == 404
    assert signed_in_user_id(client) is None
    assert client.get("/sso/sign-in/kelvin-saml/").status_code == 404
    assert client.post("/sso/sign-in/kelvin-saml/").status_code == 404
    assert client.get("/accounts/saml/kelvin-saml/login/").status_code == 404
    assert not get_user_model().objects.filter(email="grace@kelvin.ac.uk").exists()


def test_an_assertion_answering_another_browsers_request_is_refused(client, kelvin_saml, saml_idp):
    _, first_browsers_request = start_sign_in(client, "grace@kelvin.ac.uk")
    attacker = Client(HTTP_HOST="stratum.test")
    start_sign_in(attacker, "grace@kelvin.ac.uk")

    finished = answer(attacker, saml_idp, first_browsers_request, "grace@kelvin.ac.uk")

    assert finished.status_code == 403
    assert attacker.session.get("_auth_user_id") is None


def test_the_second_factor_is_still_asked_after_sso(client, kelvin_saml, saml_idp):
    grace = UserFactory(email="grace@kelvin.ac.uk")
    secret = enrol_totp(grace)

    finished = saml_sign_in(client, saml_idp, "grace@kelvin.ac.uk")

    assert finished.status_code == 302
    assert finished["Location"].startswith("/accounts/2fa/authenticate/")
    assert signed_in_user_id(client) is None
    assert not Affiliation.objects.filter(user=grace).exists()  # not before the second factor
    done = client.post("/accounts/2fa/authenticate/", {"code": current_code(secret)})
    assert done.status_code == 302
    assert signed_in_user_id(client) == str(grace.pk)
    assert Affiliation.objects.get(user=grace).organisation == kelvin_saml.organisation
    assert AuditEvent.objects.filter(action="signin.sso", target_id=str(grace.pk)).count() == 1


def test_a_privileged_person_signing_in_by_sso_is_sent_to_enrolment(
    client, kelvin_saml, saml_idp, settings
):
    settings.STRATUM_MFA_ENFORCED = True
    grace = UserFactory(email="grace@kelvin.ac.uk")
    AffiliationFactory(
        user=grace, organisation=kelvin_saml.organisation, role=AffiliationRole.ADMIN
    )

    saml_sign_in(client, saml_idp, "grace@kelvin.ac.uk")
    home = client.get("/")

    assert signed_in_user_id(client) == str(grace.pk)
    assert home.status_code == 302
    assert home["Location"].startswith("/accounts/2fa/totp/activate")
