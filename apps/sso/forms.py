"""Forms: sign-in discovery and staff configuration of identity providers."""

from django import forms
from django.core.exceptions import ValidationError

from apps.organisations.models import Organisation
from apps.sso.models import IdentityProvider

METADATA_MAX_BYTES = 1024 * 1024


class DiscoveryForm(forms.Form):
    email = forms.EmailField(
        label="Your work e-mail address",
        help_text="We use its domain to find your organisation's sign-in service.",
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
        error_messages={
            "required": "Enter your work e-mail address.",
            "invalid": "Enter an e-mail address like name@university.ac.uk.",
        },
    )


class IdentityProviderForm(forms.ModelForm):
    """Staff configure one organisation's IdP. The client secret is write-only: it is never
    put back into the page, and leaving it blank keeps the stored one."""

    client_secret = forms.CharField(
        label="Client secret",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    metadata_file = forms.FileField(
        label="IdP metadata file",
        required=False,
        help_text="Or upload the IdP's metadata (.xml, at most 1 MB); it replaces the pasted XML.",
    )
    server_url = forms.URLField(
        label="Issuer URL",
        required=False,
        assume_scheme="https",
        help_text=IdentityProvider._meta.get_field("server_url").help_text,
        error_messages={"invalid": "Enter a full URL, like https://login.example.ac.uk/."},
    )
    metadata_url = forms.URLField(
        label="IdP metadata URL",
        required=False,
        assume_scheme="https",
        error_messages={"invalid": "Enter a full URL, like https://idp.example.ac.uk/metadata."},
    )
    email_attribute = forms.CharField(
        label="E-mail claim or attribute",
        max_length=300,
        help_text="OIDC: a claim such as email. SAML: an attribute name such as "
        "urn:oid:0.9.2342.19200300.100.1.3.",
        error_messages={"required": "Name the claim or attribute that gives the e-mail."},
    )
    first_name_attribute = forms.CharField(
        label="First-name claim or attribute", max_length=300, required=False
    )
    last_name_attribute = forms.CharField(
        label="Last-name claim or attribute", max_length=300, required=False
    )

    class Meta:
        model = IdentityProvider
        fields = [
            "organisation",
            "protocol",
            "name",
            "slug",
            "enabled",
            "server_url",
            "client_id",
            "scopes",
            "entity_id",
            "sp_entity_id",
            "metadata_url",
            "metadata_xml",
        ]
        widgets = {
            "protocol": forms.RadioSelect,
            "metadata_xml": forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = Organisation.objects.order_by("name")
        self.fields["protocol"].choices = IdentityProvider.Protocol.choices
        self.fields["slug"].help_text += (
            " It is part of the addresses registered at the IdP: changing it later means "
            "registering Stratum there again."
        )
        mapping = self.instance.attribute_mapping or {}
        for field in ("email", "first_name", "last_name"):
            self.fields[f"{field}_attribute"].initial = mapping.get(field, "")
        if self.instance.has_client_secret:
            self.fields["client_secret"].help_text = (
                "A secret is stored (encrypted). Leave blank to keep it; type a new one to "
                "replace it."
            )
        else:
            self.fields["client_secret"].help_text = "Required for OpenID Connect."

    def clean_metadata_file(self):
        upload = self.cleaned_data.get("metadata_file")
        if not upload:
            return None
        if upload.size > METADATA_MAX_BYTES:
            raise ValidationError("The metadata file is larger than 1 MB.")
        raw = upload.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ValidationError("The metadata file is not UTF-8 text.") from error
        if "\x00" in text:
            raise ValidationError("The metadata file is not text.")
        return text

    def clean(self):
        cleaned = super().clean()
        protocol = cleaned.get("protocol")
        uploaded = cleaned.get("metadata_file")
        if uploaded:
            cleaned["metadata_xml"] = uploaded
        if (
            protocol == IdentityProvider.Protocol.OIDC
            and not cleaned.get("client_secret")
            and not self.instance.has_client_secret
        ):
            self.add_error("client_secret", "Enter the client secret the IdP gave you.")
        if cleaned.get("email_attribute"):
            self.instance.attribute_mapping = {
                field: (cleaned.get(f"{field}_attribute") or "").strip()
                for field in ("email", "first_name", "last_name")
            }
        return cleaned

    def add_error(self, field, error):
        # The model validates the mapping as one JSON field; the form shows it as three.
        mapping_error = (
            isinstance(error, ValidationError)
            and hasattr(error, "error_dict")
            and "attribute_mapping" in error.error_dict
        )
        if mapping_error:
            error.error_dict["email_attribute"] = error.error_dict.pop("attribute_mapping")
        return super().add_error(field, error)

    def _post_clean(self):
        super()._post_clean()
        # The model reads the metadata (apps.sso.saml); a problem with an uploaded file is
        # reported on the upload field, where the person put it.
        if self.cleaned_data.get("metadata_file") and "metadata_xml" in self._errors:
            self._errors["metadata_file"] = self._errors.pop("metadata_xml")
