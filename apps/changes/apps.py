from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ChangesConfig(AppConfig):
    """The change feed's write side: the entry table, the database triggers that fill it and
    the beat task that records access ending by time. The API only reads it."""

    name = "apps.changes"
    label = "changes"

    def ready(self) -> None:
        from apps.changes import triggers

        post_migrate.connect(
            triggers.reinstall_after_migrate, sender=self, dispatch_uid="changes-triggers"
        )
