"""Issue 10, acceptance 1 (OIDC): a person signs in through a real local OpenID Connect
provider and lands affiliated to the right organisation.

The provider is django-oauth-toolkit, served by the same live server under /idp/o/ but reached
as http://localhost:PORT while the portal is http://127.0.0.1:PORT, so the two keep separate
cookies like two sites. Everything goes over HTTP: the browser side with `requests`, and the
portal's own calls to the provider (discovery, token, userinfo) made by allauth."""

import re

import pytest
import requests
from django.contrib.auth import get_user_model

from apps.audit.models import AuditEvent
from apps.organisations.models import Affiliation
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.sso.conftest import idp_account

pytestmark = pytest.mark.django_db(transaction=True)


def _csrf(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def sign_in_with_organisation(browser, hosts, email: str, idp_login: str) -> requests.Response:
    """What a person does: discovery, "Continue", sign in at the IdP; the final response."""
    page = browser.get(f"{hosts['portal']}/sso/sign-in/")
    handover = browser.post(
        f"{hosts['portal']}/sso/sign-in/",
        data={"csrfmiddlewaretoken": _csrf(page.text), "email": email},
    )
    assert handover.status_code == 200, handover.text
    assert "Continue to Kelvin University" in handover.text
    assert f"form-action 'self' {hosts['idp']}" in handover.headers["Content-Security-Policy"]
    idp_login_page = browser.post(
        handover.url.split("?")[0],
        data={"csrfmiddlewaretoken": _csrf(handover.text), "login_hint": email},
    )
    # At the IdP now (another origin): it asks its own user to sign in.
    assert idp_login_page.url.startswith(f"{hosts['idp']}/accounts/login/")
    return browser.post(
        idp_login_page.url,
        data={
            "csrfmiddlewaretoken": _csrf(idp_login_page.text),
            "login": idp_login,
            "password": DEFAULT_PASSWORD,
        },
    )


def test_a_person_signs_in_through_the_local_oidc_provider_and_is_affiliated(hosts, kelvin_oidc):
    account = idp_account("ada@kelvin.ac.uk", given_name="Ada", family_name="Lovelace")
    with requests.Session() as browser:
        landed = sign_in_with_organisation(browser, hosts, "ada@kelvin.ac.uk", account.email)

        assert landed.status_code == 200
        assert landed.url == f"{hosts['portal']}/"
        # Redirect chain: IdP authorise → portal callback (token, userinfo fetched) → home.
        assert any("/accounts/oidc/kelvin/login/callback/" in r.url for r in landed.history)
        person = get_user_model().objects.get(email="ada@kelvin.ac.uk")
        assert (person.first_name, person.last_name) == ("Ada", "Lovelace")
        profile = browser.get(f"{hosts['portal']}/account/security/", allow_redirects=False)
        assert profile.status_code == 200  # signed in to the portal, as Ada

    affiliation = Affiliation.objects.get(user=person)
    assert affiliation.organisation == kelvin_oidc.organisation
    assert person.socialaccount_set.get().provider == "kelvin"
    event = AuditEvent.objects.get(action="signin.sso")
    assert event.details["protocol"] == "openid_connect"
    assert event.details["affiliated"] is True


def test_the_organisations_own_claim_names_are_used(hosts, kelvin_oidc):
    """Kelvin's IdP puts the address in `upn` and the names in its own claims."""
    kelvin_oidc.attribute_mapping = {"email": "upn", "first_name": "fn", "last_name": "sn"}
    kelvin_oidc.save()
    account = idp_account("private.address@gmail.test", upn="ada@kelvin.ac.uk", fn="Ada", sn="L")

    with requests.Session() as browser:
        landed = sign_in_with_organisation(browser, hosts, "ada@kelvin.ac.uk", account.email)

    assert landed.url == f"{hosts['portal']}/"
    person = get_user_model().objects.get(email="ada@kelvin.ac.uk")
    assert (person.first_name, person.last_name) == ("Ada", "L")
    assert [(a.email, a.verified) for a in person.emailaddress_set.all()] == [
        ("ada@kelvin.ac.uk", True)
    ]
    assert Affiliation.objects.get(user=person).organisation == kelvin_oidc.organisation
