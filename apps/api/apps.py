from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "apps.api"
    label = "api"

    def ready(self) -> None:
        from apps.api import schema  # noqa: F401 (schema registers itself)
        from apps.api.webhooks import connect_time_ends

        connect_time_ends()
