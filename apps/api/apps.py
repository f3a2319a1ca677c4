from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "apps.api"
    label = "api"

    def ready(self) -> None:
        from apps.api import changes, schema  # noqa: F401 (schema registers itself)

        changes.connect()
