from allauth.socialaccount.models import SocialApp, SocialToken
from django.contrib import admin

from apps.sso.forms import IdentityProviderForm
from apps.sso.models import IdentityProvider
from apps.sso.services import identity_provider_save

# Provider apps come from IdentityProvider rows (apps.sso.adapters); allauth's own SocialApp
# rows would be ignored, and tokens are not stored, so their admin pages would only mislead.
for model in (SocialApp, SocialToken):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(IdentityProvider)
class IdentityProviderAdmin(admin.ModelAdmin):
    form = IdentityProviderForm
    list_display = ["name", "organisation", "protocol", "enabled"]
    list_filter = ["protocol", "enabled"]
    search_fields = ["name", "organisation__name", "slug", "entity_id", "client_id"]
    autocomplete_fields = ["organisation"]
    fieldsets = [
        (None, {"fields": ["organisation", "protocol", "name", "slug", "enabled"]}),
        (
            "OpenID Connect",
            {"fields": ["server_url", "client_id", "client_secret", "scopes"]},
        ),
        (
            "SAML 2.0",
            {
                "fields": [
                    "entity_id",
                    "sp_entity_id",
                    "metadata_url",
                    "metadata_xml",
                    "metadata_file",
                ]
            },
        ),
        (
            "Attribute mapping",
            {"fields": ["email_attribute", "first_name_attribute", "last_name_attribute"]},
        ),
    ]

    def save_model(self, request, obj, form, change):
        # The same write as the staff console: encrypted secret, audit event.
        identity_provider_save(
            provider=obj,
            client_secret=form.cleaned_data.get("client_secret") or "",
            actor=request.user,
            request=request,
        )
