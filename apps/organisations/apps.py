from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "apps.organisations"
    label = "organisations"
    verbose_name = "Organisations"

    def ready(self) -> None:
        # Registers the organisation access rules with apps.access.policy and connects
        # affiliation-on-verification to allauth.
        from apps.organisations import permissions, signals  # noqa: F401
