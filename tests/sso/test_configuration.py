"""Staff configure identity providers: staff only, clear errors for bad input, the client
secret encrypted at rest and never shown back; the discovery page's answers."""

import pytest
from cryptography.fernet import Fernet
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from apps.audit.models import AuditEvent
from apps.sso.adapters import SocialAccountAdapter
from apps.sso.models import IdentityProvider
from tests.sso.idp import SAML_EMAIL, SamlTestIdp

pytestmark = pytest.mark.django_db

SECRET = "kelvin-client-secret-9f3a"


def oidc_form(organisation, **overrides):
    data = {
        "organisation": str(organisation.pk),
        "protocol": "openid_connect",
        "name": "Kelvin University",
        "slug": "kelvin",
        "enabled": "on",
        "server_url": "https://login.kelvin.ac.uk/",
        "client_id": "stratum",
        "client_secret": SECRET,
        "scopes": "openid profile email",
        "email_attribute": "email",
        "first_name_attribute": "given_name",
        "last_name_attribute": "family_name",
    }
    return {**data, **overrides}


def saml_form(organisation, idp, **overrides):
    data = {
        "organisation": str(organisation.pk),
        "protocol": "saml",
        "name": "Kelvin University",
        "slug": "kelvin-saml",
        "enabled": "on",
        "entity_id": idp.entity_id,
        "metadata_xml": idp.metadata(),
        "email_attribute": SAML_EMAIL,
    }
    return {**data, **overrides}


def stored_secret_column(provider) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT client_secret_encrypted FROM sso_identityprovider WHERE id = %s",
            [provider.pk.hex if connection.vendor == "sqlite" else provider.pk],
        )
        return cursor.fetchone()[0]


# --- who may configure ----------------------------------------------------------------------
@pytest.mark.parametrize("url", ["/sso/providers/", "/sso/providers/new/"])
def test_only_staff_configure_identity_providers(client, url, partner_member, staff):
    assert client.get(url).status_code == 302  # to sign-in
    client.force_login(partner_member)
    assert client.get(url).status_code == 403
    assert (
        client.post(url, oidc_form(partner_member.affiliations.first().organisation)).status_code
        == 403
    )
    assert not IdentityProvider.objects.exists()
    client.force_login(staff)
    assert client.get(url).status_code == 200


# --- the client secret ----------------------------------------------------------------------
def test_staff_add_an_oidc_provider_and_its_secret_is_encrypted_at_rest(client, staff, partner_org):
    client.force_login(staff)

    response = client.post("/sso/providers/new/", oidc_form(partner_org))

    assert response.status_code == 302
    provider = IdentityProvider.objects.get()
    stored = stored_secret_column(provider)
    assert stored and SECRET not in stored
    assert provider.client_secret == SECRET
    event = AuditEvent.objects.get(action="sso.provider_create")
    assert SECRET not in str(event.details)
    # allauth gets the plain secret only in memory, for the token request.
    app = SocialAccountAdapter().get_app(None, provider="kelvin")
    assert (app.client_id, app.secret) == ("stratum", SECRET)


def test_the_secret_is_never_shown_back_and_a_blank_one_keeps_it(client, staff, partner_org):
    client.force_login(staff)
    client.post("/sso/providers/new/", oidc_form(partner_org))
    provider = IdentityProvider.objects.get()
    before = stored_secret_column(provider)

    page = client.get(f"/sso/providers/{provider.pk}/")
    saved = client.post(
        f"/sso/providers/{provider.pk}/", oidc_form(partner_org, client_secret="", name="Kelvin")
    )

    assert SECRET not in page.content.decode()
    assert before not in page.content.decode()
    assert "A secret is stored" in page.content.decode()
    assert saved.status_code == 302
    provider.refresh_from_db()
    assert provider.name == "Kelvin"
    assert provider.client_secret == SECRET
    event = AuditEvent.objects.get(action="sso.provider_update")
    assert event.details["changed"] == ["name"] and event.details["secret_replaced"] is False


def test_an_sso_secret_key_from_the_environment_is_used(settings, partner_org):
    provider = IdentityProvider(organisation=partner_org, protocol="openid_connect")
    settings.SSO_SECRET_KEY = Fernet.generate_key().decode()
    provider.set_client_secret(SECRET)

    assert Fernet(settings.SSO_SECRET_KEY).decrypt(provider.client_secret_encrypted) == (
        SECRET.encode()
    )


def test_a_secret_encrypted_under_another_key_disables_the_provider_not_the_site(
    client, settings, kelvin_domain, partner_org
):
    provider = IdentityProvider(
        organisation=partner_org,
        protocol="openid_connect",
        slug="kelvin",
        name="Kelvin",
        server_url="https://login.kelvin.ac.uk/",
        client_id="stratum",
    )
    provider.set_client_secret(SECRET)
    provider.save()
    settings.SSO_SECRET_KEY = Fernet.generate_key().decode()  # the key was rotated

    assert SocialAccountAdapter().list_apps(None) == []
    assert client.get("/sso/sign-in/kelvin/").status_code == 404
    assert client.get("/accounts/login/").status_code == 200


# --- validation -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"server_url": "login kelvin"}, "server_url", "Enter a full URL"),
        ({"client_secret": ""}, "client_secret", "Enter the client secret"),
        ({"client_id": ""}, "client_id", "Required for OpenID Connect"),
        ({"scopes": "profile email"}, "scopes", "must include openid"),
        ({"email_attribute": ""}, "email_attribute", "Name the claim or attribute"),
        ({"slug": "saml"}, "slug", "reserved"),
    ],
)
def test_bad_oidc_input_gets_a_clear_error_and_saves_nothing(
    client, staff, partner_org, overrides, field, message
):
    client.force_login(staff)

    response = client.post("/sso/providers/new/", oidc_form(partner_org, **overrides))

    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in error for error in form.errors[field])
    assert 'class="alert alert-danger error-summary"' in response.content.decode()
    assert not IdentityProvider.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"metadata_xml": "<EntityDescriptor"}, "metadata_xml", "not well-formed XML"),
        ({"entity_id": "https://elsewhere.example/"}, "metadata_xml", "no identity provider"),
        ({"metadata_xml": "", "metadata_url": ""}, "metadata_url", "metadata URL or paste"),
        ({"metadata_xml": "", "metadata_url": "not a url"}, "metadata_url", "Enter a full URL"),
        ({"entity_id": ""}, "entity_id", "Required for SAML"),
    ],
)
def test_bad_saml_input_gets_a_clear_error_and_saves_nothing(
    client, staff, partner_org, overrides, field, message
):
    idp = SamlTestIdp("https://idp.kelvin.ac.uk/saml", "https://idp.kelvin.ac.uk/sso")
    client.force_login(staff)

    response = client.post("/sso/providers/new/", saml_form(partner_org, idp, **overrides))

    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors[field])
    assert not IdentityProvider.objects.exists()


def test_staff_upload_saml_metadata_and_a_broken_file_is_refused_on_the_upload(
    client, staff, partner_org
):
    idp = SamlTestIdp("https://idp.kelvin.ac.uk/saml", "https://idp.kelvin.ac.uk/sso")
    client.force_login(staff)
    broken = SimpleUploadedFile("idp.xml", b"<md:EntityDescriptor", "text/xml")

    refused = client.post(
        "/sso/providers/new/",
        {**saml_form(partner_org, idp, metadata_xml=""), "metadata_file": broken},
    )
    upload = SimpleUploadedFile("idp.xml", idp.metadata().encode(), "text/xml")
    saved = client.post(
        "/sso/providers/new/",
        {**saml_form(partner_org, idp, metadata_xml=""), "metadata_file": upload},
    )

    assert refused.status_code == 400
    assert "not well-formed XML" in str(refused.context["form"].errors["metadata_file"])
    assert saved.status_code == 302
    provider = IdentityProvider.objects.get()
    assert provider.metadata_xml.strip() == idp.metadata().strip()
    app = SocialAccountAdapter().get_app(None, provider="saml", client_id="kelvin-saml")
    assert app.settings["idp"]["sso_url"] == idp.sso_url
    assert app.settings["idp"]["x509cert"] == idp.cert_b64


def test_one_provider_per_protocol_per_organisation(client, staff, partner_org):
    client.force_login(staff)
    client.post("/sso/providers/new/", oidc_form(partner_org))

    again = client.post("/sso/providers/new/", oidc_form(partner_org, slug="kelvin-2"))

    assert again.status_code == 400
    assert IdentityProvider.objects.count() == 1


def test_the_staff_list_shows_each_provider(client, staff, partner_org):
    client.force_login(staff)
    client.post("/sso/providers/new/", oidc_form(partner_org))

    page = client.get("/sso/providers/").content.decode()

    assert "Kelvin University" in page and "OpenID Connect" in page and "Enabled" in page


def test_the_admin_saves_through_the_same_encrypted_write(client, staff, partner_org):
    client.force_login(staff)

    response = client.post("/admin/sso/identityprovider/add/", oidc_form(partner_org))

    assert response.status_code == 302
    provider = IdentityProvider.objects.get()
    assert SECRET not in stored_secret_column(provider)
    assert provider.client_secret == SECRET
    assert AuditEvent.objects.filter(action="sso.provider_create").exists()
