from django.apps import AppConfig


class DatasetsConfig(AppConfig):
    name = "apps.datasets"
    label = "datasets"

    def ready(self) -> None:
        # Registers the sweep of abandoned multipart uploads (apps/core/sweeps.py).
        from apps.datasets import multipart  # noqa: F401
