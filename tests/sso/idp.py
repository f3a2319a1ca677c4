"""Test identity providers: a real OpenID Connect provider (django-oauth-toolkit, served by the
live server under /idp/o/) and a SAML 2.0 IdP that signs its answers with xmlsec, as a real
one does. Nothing here mocks HTTP: the portal talks to them as it would to a university's."""

import base64
import datetime as dt
import re
from html import escape
from uuid import uuid4

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from oauth2_provider.oauth2_validators import OAuth2Validator
from onelogin.saml2.utils import OneLogin_Saml2_Utils

# --- OpenID Connect -------------------------------------------------------------------------
# The IdP's directory: who its accounts are, by the IdP account's primary key. The IdP's own
# accounts live in the same user table (django-oauth-toolkit needs a Django user), so their
# institutional identity comes from here, not from the account row.
IDP_DIRECTORY: dict[str, dict] = {}


class DirectoryValidator(OAuth2Validator):
    """Puts the directory's claims in the ID token and the userinfo answer."""

    oidc_claim_scope = None  # every claim, whatever the scopes (the directory is small)

    def get_additional_claims(self, request):
        return dict(IDP_DIRECTORY.get(str(request.user.pk), {}))


def rsa_private_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_key_pem(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def oauth2_provider_settings(issuer: str) -> dict:
    from django.conf import settings

    return {
        **settings.OAUTH2_PROVIDER,  # the RFC 9700 behaviour set in portal/settings/test.py
        "OIDC_ENABLED": True,
        "OIDC_RSA_PRIVATE_KEY": private_key_pem(rsa_private_key()),
        "OIDC_ISS_ENDPOINT": issuer,
        "OAUTH2_VALIDATOR_CLASS": "tests.sso.idp.DirectoryValidator",
        "PKCE_REQUIRED": True,
        "SCOPES": {"openid": "OpenID Connect", "profile": "Profile", "email": "E-mail"},
    }


# --- SAML 2.0 -------------------------------------------------------------------------------
SAML_EMAIL = "urn:oid:0.9.2342.19200300.100.1.3"
SAML_GIVEN_NAME = "urn:oid:2.5.4.42"
SAML_SURNAME = "urn:oid:2.5.4.4"
REDIRECT_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
# Metadata the test IdPs publish over HTTP (tests/sso/idp_urls.py serves it), by name.
SAML_METADATA: dict[str, str] = {}


def _instant(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class SamlTestIdp:
    """A SAML IdP with its own self-signed certificate: publishes metadata, reads the portal's
    AuthnRequest and answers with a signed assertion."""

    def __init__(self, entity_id: str, sso_url: str):
        self.entity_id = entity_id
        self.sso_url = sso_url
        self.key = rsa_private_key()
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test IdP")])
        now = dt.datetime.now(dt.UTC)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .sign(self.key, hashes.SHA256())
        )

    @property
    def cert_pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def cert_b64(self) -> str:
        return "".join(self.cert_pem.strip().splitlines()[1:-1])

    def metadata(self) -> str:
        return f"""<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{escape(self.entity_id)}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>
      <ds:X509Certificate>{self.cert_b64}</ds:X509Certificate>
    </ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="{REDIRECT_BINDING}" Location="{escape(self.sso_url)}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"""

    @staticmethod
    def read_request(redirect_url: str) -> dict:
        """The AuthnRequest carried by the portal's redirect to our SSO URL."""
        from urllib.parse import parse_qs, urlsplit

        query = parse_qs(urlsplit(redirect_url).query)
        xml = OneLogin_Saml2_Utils.decode_base64_and_inflate(query["SAMLRequest"][0]).decode()
        return {
            "id": re.search(r'\bID="([^"]+)"', xml).group(1),
            "acs_url": re.search(r'AssertionConsumerServiceURL="([^"]+)"', xml).group(1),
            "issuer": re.search(r"<saml:Issuer>([^<]+)</saml:Issuer>", xml).group(1),
            "relay_state": query.get("RelayState", [""])[0],
        }

    def response(
        self, *, in_response_to: str, acs_url: str, audience: str, name_id: str, attributes
    ) -> str:
        """A base64 SAML Response with a signed assertion, as the HTTP-POST binding sends it."""
        now = dt.datetime.now(dt.UTC)
        later = now + dt.timedelta(minutes=5)
        assertion_id, response_id = f"_{uuid4().hex}", f"_{uuid4().hex}"
        statements = "".join(
            f'<saml:Attribute Name="{escape(name)}"><saml:AttributeValue>{escape(value)}'
            "</saml:AttributeValue></saml:Attribute>"
            for name, value in attributes.items()
        )
        assertion = f"""<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{assertion_id}" Version="2.0" IssueInstant="{_instant(now)}"><saml:Issuer>{escape(self.entity_id)}</saml:Issuer><saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">{escape(name_id)}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="{_instant(later)}" Recipient="{escape(acs_url)}" InResponseTo="{in_response_to}"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="{_instant(now - dt.timedelta(minutes=1))}" NotOnOrAfter="{_instant(later)}"><saml:AudienceRestriction><saml:Audience>{escape(audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="{_instant(now)}" SessionIndex="_{uuid4().hex}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement>{statements}</saml:AttributeStatement></saml:Assertion>"""
        signed = OneLogin_Saml2_Utils.add_sign(
            assertion, private_key_pem(self.key), self.cert_pem
        ).decode()
        signed = re.sub(r"^<\?xml[^>]*\?>\s*", "", signed)
        response = f"""<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{response_id}" Version="2.0" IssueInstant="{_instant(now)}" Destination="{escape(acs_url)}" InResponseTo="{in_response_to}"><saml:Issuer>{escape(self.entity_id)}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>{signed}</samlp:Response>"""
        return base64.b64encode(response.encode()).decode()
