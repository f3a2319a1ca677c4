from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "apps.organisations"
    label = "organisations"
    verbose_name = "Organisations"

    def ready(self) -> None:
        # Connects affiliation-on-verification to allauth.
        from apps.organisations import signals  # noqa: F401
