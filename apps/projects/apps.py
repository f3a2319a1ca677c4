from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "apps.projects"
    label = "projects"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from apps.diseases.services import on_rename
        from apps.projects.services.projects import disease_area_renamed

        on_rename(disease_area_renamed)
        # Every app's `project_sections.py` registers its part of the project page.
        autodiscover_modules("project_sections")
        self._forget_cached_counts_on_change()

    @staticmethod
    def _forget_cached_counts_on_change() -> None:
        from django.apps import apps
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from apps.projects.filter_cache import WATCHED_MODELS, new_generation

        for label in WATCHED_MODELS:
            model = apps.get_model(label)
            for signal in (post_save, post_delete):
                signal.connect(new_generation, sender=model, dispatch_uid=f"filters-{label}")
        # A dataset's named organisations decide who sees it, too.
        named = apps.get_model("datasets.Dataset").allowed_organisations.through
        m2m_changed.connect(new_generation, sender=named, dispatch_uid="filters-dataset-named")
