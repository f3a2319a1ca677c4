from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "apps.projects"
    label = "projects"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate
        from django.utils.module_loading import autodiscover_modules

        from apps.projects import content_versions

        # Installs the content-version triggers again after SQLite rebuilt a table (not a
        # recording signal: the triggers themselves record every write).
        post_migrate.connect(
            content_versions.reinstall_after_migrate, sender=self, dispatch_uid="project-content"
        )

        from apps.diseases.services import on_rename
        from apps.projects.services.projects import disease_area_renamed

        on_rename(disease_area_renamed)
        # Every app's `project_sections.py` registers its part of the project page.
        autodiscover_modules("project_sections")
