"""The "Sign in with your organisation" page: discovery by e-mail domain and its errors."""

import pytest

from apps.sso.models import IdentityProvider

pytestmark = pytest.mark.django_db


def test_the_sign_in_page_links_to_organisation_sign_in(client):
    page = client.get("/accounts/login/").content.decode()

    assert 'href="/sso/sign-in/"' in page


def test_an_address_of_a_known_domain_goes_to_its_provider(client, kelvin_saml):
    response = client.post("/sso/sign-in/", {"email": "grace@med.kelvin.ac.uk"})

    assert response.status_code == 302
    assert response["Location"].startswith("/sso/sign-in/kelvin-saml/?")
    assert "login_hint=grace%40med.kelvin.ac.uk" in response["Location"]


def test_an_unknown_domain_is_told_plainly_and_offered_the_password_sign_in(client, kelvin_saml):
    response = client.post("/sso/sign-in/", {"email": "ada@gmail.test"})

    page = response.content.decode()
    assert response.status_code == 400
    assert "No organisation sign-in is set up for gmail.test" in page
    assert 'role="alert"' in page and 'href="#id_email"' in page
    assert 'aria-invalid="true"' in page
    assert 'href="/accounts/login/"' in page


@pytest.mark.parametrize(("email", "message"), [("", "Enter your work"), ("ada@", "like name@")])
def test_a_missing_or_malformed_address_gets_a_clear_error(client, email, message):
    response = client.post("/sso/sign-in/", {"email": email})

    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_disabled_provider_is_not_offered(client, kelvin_saml):
    IdentityProvider.objects.filter(pk=kelvin_saml.pk).update(enabled=False)

    response = client.post("/sso/sign-in/", {"email": "grace@kelvin.ac.uk"})

    assert response.status_code == 400
    assert client.get("/sso/sign-in/kelvin-saml/").status_code == 404


def test_the_page_to_return_to_is_kept_and_foreign_ones_dropped(client, kelvin_saml):
    kept = client.post("/sso/sign-in/", {"email": "grace@kelvin.ac.uk", "next": "/projects/"})
    dropped = client.post(
        "/sso/sign-in/", {"email": "grace@kelvin.ac.uk", "next": "https://evil.example/"}
    )

    assert "next=%2Fprojects%2F" in kept["Location"]
    assert "evil" not in dropped["Location"]


def test_the_hand_over_page_has_no_inline_script_and_a_narrow_form_action(client, kelvin_saml):
    page = client.get("/sso/sign-in/kelvin-saml/?login_hint=grace@kelvin.ac.uk")

    policy = page["Content-Security-Policy"]
    assert "unsafe-inline" not in policy
    assert "form-action 'self' https://idp.kelvin.ac.uk;" in policy + ";"
    assert "<script>" not in page.content.decode()
    assert 'value="grace@kelvin.ac.uk"' in page.content.decode()


def test_allauths_own_continue_page_points_to_the_hand_over(client, kelvin_saml):
    page = client.get("/accounts/saml/kelvin-saml/login/")

    assert page.status_code == 200
    assert 'href="/sso/sign-in/kelvin-saml/"' in page.content.decode()


def test_an_idp_that_does_not_answer_gets_a_clear_page_not_an_error(client, partner_org):
    provider = IdentityProvider(
        organisation=partner_org,
        protocol="openid_connect",
        slug="kelvin",
        name="Kelvin University",
        server_url="http://127.0.0.1:9/",  # nothing listens on the discard port
        client_id="stratum",
    )
    provider.set_client_secret("s3cret")
    provider.save()

    page = client.get("/sso/sign-in/kelvin/")

    assert page.status_code == 503
    assert "Kelvin University does not answer" in page.content.decode()
