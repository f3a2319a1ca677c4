from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "apps.sso"
    label = "sso"
    verbose_name = "Institutional sign-in"

    def ready(self) -> None:
        from apps.sso import signals  # noqa: F401  (receivers register on import)
