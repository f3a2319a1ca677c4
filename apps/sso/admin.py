from django.contrib import admin

from apps.sso.models import IdentityProvider


@admin.register(IdentityProvider)
class IdentityProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "protocol", "enabled"]
    list_filter = ["protocol", "enabled"]
    search_fields = ["name", "organisation__name", "slug", "entity_id", "client_id"]
    autocomplete_fields = ["organisation"]
    fieldsets = [
        (None, {"fields": ["organisation", "protocol", "name", "slug", "enabled"]}),
        ("OpenID Connect", {"fields": ["server_url", "client_id", "client_secret"]}),
        ("SAML 2.0", {"fields": ["entity_id", "metadata_url", "metadata_xml"]}),
        ("Attributes", {"fields": ["attribute_mapping"]}),
    ]
