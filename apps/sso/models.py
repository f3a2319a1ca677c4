"""Institutional identity providers, configured per organisation by staff (issue 10)."""

from django.core.exceptions import ValidationError
from django.db import models

from apps.core.models import BaseModel


def default_attribute_mapping() -> dict:
    return {"email": "email", "first_name": "given_name", "last_name": "family_name"}


class IdentityProvider(BaseModel):
    """An organisation's OpenID Connect or SAML 2.0 identity provider. People whose e-mail
    domain belongs to the organisation are offered it at sign-in, and a person signing in
    through it is affiliated to the organisation."""

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
        blank=True, help_text="OIDC issuer URL (its /.well-known/openid-configuration is read)."
    )
    client_id = models.CharField(max_length=255, blank=True)
    client_secret = models.CharField(max_length=255, blank=True)
    # SAML 2.0
    entity_id = models.CharField(max_length=500, blank=True, help_text="The IdP's entity ID.")
    metadata_url = models.URLField(blank=True)
    metadata_xml = models.TextField(blank=True, help_text="Paste the IdP metadata if no URL.")
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

    def clean(self) -> None:
        errors = {}
        if self.protocol == self.Protocol.OIDC:
            for field in ("server_url", "client_id"):
                if not getattr(self, field):
                    errors[field] = "Required for OpenID Connect."
        elif self.protocol == self.Protocol.SAML:
            if not self.entity_id:
                errors["entity_id"] = "Required for SAML."
            if not (self.metadata_url or self.metadata_xml.strip()):
                errors["metadata_url"] = "Give the metadata URL or paste the metadata XML."
        mapping = self.attribute_mapping
        if not isinstance(mapping, dict) or not mapping.get("email"):
            errors["attribute_mapping"] = 'Map at least "email" to a claim or attribute.'
        if errors:
            raise ValidationError(errors)
