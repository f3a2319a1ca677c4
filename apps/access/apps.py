from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccessConfig(AppConfig):
    name = "apps.access"
    label = "access"

    def ready(self) -> None:
        from apps.access import versioning

        # Installs the access-version triggers again after SQLite rebuilt a table (not a
        # recording signal: the triggers themselves record every write).
        post_migrate.connect(
            versioning.reinstall_after_migrate, sender=self, dispatch_uid="access-versions"
        )
        # Grants come through organisations, so losing standing there suspends them (ACCESS.md).
        # Organisations sit below access and cannot call it: they run what is registered here.
        from apps.access.services import grants
        from apps.organisations.services import consequences

        consequences.register(consequences.AFFILIATION_ENDED, grants.grants_suspend_for_affiliation)
        consequences.register(
            consequences.ORGANISATION_SUSPENDED, grants.grants_suspend_for_organisation
        )
        consequences.register(
            consequences.ORGANISATION_NOW_FOR_PROFIT, grants.grants_suspend_for_npu_breach
        )
