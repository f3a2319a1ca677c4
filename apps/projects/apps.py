from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "apps.projects"
    label = "projects"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from apps.projects import permissions  # noqa: F401  (access rules register on import)

        # Every app's `project_sections.py` registers its part of the project page.
        autodiscover_modules("project_sections")
        self._forget_cached_filters_on_change()

    @staticmethod
    def _forget_cached_filters_on_change() -> None:
        from django.db.models.signals import post_delete, post_save

        from apps.organisations.models import Affiliation, Organisation
        from apps.projects.filter_cache import new_generation
        from apps.projects.models import Membership, Partner, Project

        for model in (Partner, Project, Membership, Organisation, Affiliation):
            for signal in (post_save, post_delete):
                signal.connect(new_generation, sender=model, dispatch_uid=f"filters-{model}")
