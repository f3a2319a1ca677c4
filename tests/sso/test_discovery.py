"""Institutional sign-in (foundation): provider configuration, discovery by e-mail domain and
affiliation through the organisation's provider."""

import pytest
from django.core.exceptions import ValidationError

from apps.audit.models import AuditEvent
from apps.organisations.models import Affiliation, OrganisationStatus
from apps.sso.models import IdentityProvider
from apps.sso.selectors import identity_provider_for_email
from apps.sso.services import sso_affiliate

pytestmark = pytest.mark.django_db


@pytest.fixture
def kelvin_oidc(partner_org, kelvin_domain):
    provider = IdentityProvider(
        organisation=partner_org,
        protocol=IdentityProvider.Protocol.OIDC,
        slug="kelvin",
        name="Kelvin University",
        server_url="https://login.kelvin.ac.uk/",
        client_id="stratum",
    )
    provider.set_client_secret("s3cret")
    provider.full_clean()
    provider.save()
    return provider


@pytest.mark.parametrize("email", ["ada@kelvin.ac.uk", "ADA@Kelvin.AC.UK", "ada@med.kelvin.ac.uk"])
def test_an_address_in_the_organisations_domain_finds_its_provider(kelvin_oidc, email):
    assert identity_provider_for_email(email) == kelvin_oidc


@pytest.mark.parametrize(
    "email", ["ada@gmail.com", "ada@kelvin.ac.uk.evil.example", "no-at-sign", ""]
)
def test_other_addresses_find_no_provider(kelvin_oidc, email):
    assert identity_provider_for_email(email) is None


def test_a_disabled_provider_is_not_offered(kelvin_oidc):
    kelvin_oidc.enabled = False
    kelvin_oidc.save()
    assert identity_provider_for_email("ada@kelvin.ac.uk") is None


def test_a_suspended_organisations_provider_is_not_offered(kelvin_oidc, partner_org):
    partner_org.status = OrganisationStatus.SUSPENDED
    partner_org.save()
    assert identity_provider_for_email("ada@kelvin.ac.uk") is None


def test_an_oidc_provider_needs_its_issuer_and_client_id(partner_org):
    provider = IdentityProvider(
        organisation=partner_org, protocol="openid_connect", slug="k", name="K"
    )
    with pytest.raises(ValidationError) as error:
        provider.full_clean()
    assert set(error.value.message_dict) >= {"server_url", "client_id"}


def test_a_saml_provider_needs_an_entity_id_and_metadata(partner_org):
    provider = IdentityProvider(organisation=partner_org, protocol="saml", slug="k", name="K")
    with pytest.raises(ValidationError) as error:
        provider.full_clean()
    assert set(error.value.message_dict) >= {"entity_id", "metadata_url"}


def test_the_attribute_mapping_must_name_the_email(partner_org):
    provider = IdentityProvider(
        organisation=partner_org,
        protocol="saml",
        slug="k",
        name="K",
        entity_id="https://idp.kelvin.ac.uk/",
        metadata_xml="<EntityDescriptor/>",
        attribute_mapping={"first_name": "givenName"},
    )
    with pytest.raises(ValidationError) as error:
        provider.full_clean()
    assert "attribute_mapping" in error.value.message_dict


def test_signing_in_through_the_provider_affiliates_the_person_once(kelvin_oidc, unaffiliated):
    first = sso_affiliate(user=unaffiliated, provider=kelvin_oidc)
    again = sso_affiliate(user=unaffiliated, provider=kelvin_oidc)
    assert first == again
    assert Affiliation.objects.get(user=unaffiliated).organisation == kelvin_oidc.organisation
    event = AuditEvent.objects.get(action="affiliation.create")
    assert event.details["source"] == "sso:openid_connect"


def test_staff_configure_providers_in_the_admin(client, staff, kelvin_oidc):
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    assert client.get("/admin/sso/identityprovider/").status_code == 200
    assert client.get(f"/admin/sso/identityprovider/{kelvin_oidc.pk}/change/").status_code == 200
