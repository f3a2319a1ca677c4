from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "apps.projects"
    label = "projects"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from apps.projects import permissions  # noqa: F401  (access rules register on import)

        # Every app's `project_sections.py` registers its part of the project page.
        autodiscover_modules("project_sections")
