"""Institutional identity providers, configured per organisation by staff (issue 10)."""

from django.core.exceptions import ValidationError
from django.db import models

from apps.core.models import BaseModel
from apps.sso.crypto import decrypt_secret, encrypt_secret

# allauth looks a provider up by class id before it looks at app ids: a slug equal to one of
# these would be shadowed.
RESERVED_SLUGS = {"openid_connect", "saml", "openid", "oauth2"}
DEFAULT_OIDC_SCOPES = "openid profile email"


def default_attribute_mapping() -> dict:
    return {"email": "email", "first_name": "given_name", "last_name": "family_name"}


class IdentityProvider(BaseModel):
    """An organisation's OpenID Connect or SAML 2.0 identity provider. People whose e-mail
    domain belongs to the organisation are offered it at sign-in, and a person signing in
    through it is affiliated to the organisation.

    Each enabled row is one allauth provider app (apps.sso.adapters builds them), with the
    slug as its provider id: /accounts/oidc/<slug>/… or /accounts/saml/<slug>/…."""

    class Protocol(models.TextChoices):
        OIDC = "openid_connect", "OpenID Connect"
        SAML = "saml", "SAML 2.0"

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="identity_providers"
    )
    protocol = models.CharField(max_length=20, choices=Protocol.choices)
    slug = models.SlugField(
        max_length=60,
        unique=True,
        help_text="Short identifier used in sign-in URLs, e.g. kelvin-university.",
    )
    name = models.CharField(max_length=120, help_text="Shown on the button: “Sign in with …”.")
    enabled = models.BooleanField(default=True)
    # OpenID Connect
    server_url = models.URLField(
        "issuer URL",
        blank=True,
        help_text="OIDC issuer URL (its /.well-known/openid-configuration is read).",
    )
    client_id = models.CharField(max_length=255, blank=True)
    # Fernet ciphertext (apps.sso.crypto); never shown back, never logged.
    client_secret_encrypted = models.TextField(blank=True, editable=False)
    scopes = models.CharField(
        max_length=255,
        default=DEFAULT_OIDC_SCOPES,
        blank=True,
        help_text="Space-separated; must include openid.",
    )
    # SAML 2.0
    entity_id = models.CharField(
        "IdP entity ID", max_length=500, blank=True, help_text="The IdP's entity ID."
    )
    sp_entity_id = models.CharField(
        "our entity ID",
        max_length=500,
        blank=True,
        help_text="Stratum's entity ID as registered at the IdP. Leave blank to use our "
        "metadata URL.",
    )
    metadata_url = models.URLField("IdP metadata URL", blank=True)
    metadata_xml = models.TextField(
        "IdP metadata XML", blank=True, help_text="Paste the IdP metadata if no URL."
    )
    attribute_mapping = models.JSONField(
        default=default_attribute_mapping,
        help_text="Which claim or attribute gives the e-mail, first name and last name.",
    )

    class Meta:
        ordering = ["organisation__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "protocol"], name="sso_one_provider_per_protocol"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_protocol_display()})"

    # --- the client secret, encrypted at rest ------------------------------------------------
    @property
    def client_secret(self) -> str:
        return decrypt_secret(self.client_secret_encrypted)

    def set_client_secret(self, plaintext: str) -> None:
        self.client_secret_encrypted = encrypt_secret(plaintext)

    @property
    def has_client_secret(self) -> bool:
        return bool(self.client_secret_encrypted)

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split() or DEFAULT_OIDC_SCOPES.split()

    def clean(self) -> None:
        errors = {}
        if self.slug in RESERVED_SLUGS:
            errors["slug"] = "This identifier is reserved; choose another."
        if self.protocol == self.Protocol.OIDC:
            for field in ("server_url", "client_id"):
                if not getattr(self, field):
                    errors[field] = "Required for OpenID Connect."
            if self.scopes and "openid" not in self.scopes.split():
                errors["scopes"] = "The scopes must include openid."
        elif self.protocol == self.Protocol.SAML:
            if not self.entity_id:
                errors["entity_id"] = "Required for SAML."
            if not (self.metadata_url or self.metadata_xml.strip()):
                errors["metadata_url"] = "Give the metadata URL or paste the metadata XML."
            elif self.metadata_xml.strip() and self.entity_id:
                from apps.sso.saml import idp_settings_from_metadata

                try:
                    idp_settings_from_metadata(self.metadata_xml, self.entity_id)
                except ValidationError as error:
                    errors["metadata_xml"] = error.messages
        mapping = self.attribute_mapping
        if not isinstance(mapping, dict) or not mapping.get("email"):
            errors["attribute_mapping"] = 'Map at least "email" to a claim or attribute.'
        if errors:
            raise ValidationError(errors)
