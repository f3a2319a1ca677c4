from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _trigram_threshold(sender, connection, **kwargs) -> None:
    """pg_trgm's word similarity threshold for the session, once per new connection: search
    (its only user) corrects a typed word to known words above it (`apps.search.statements`)."""
    if connection.vendor == "postgresql":
        from apps.search.statements import WORD_SIMILARITY_THRESHOLD

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)",
                [WORD_SIMILARITY_THRESHOLD],
            )


class SearchConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.search"
    verbose_name = "Search"

    def ready(self) -> None:
        connection_created.connect(_trigram_threshold, dispatch_uid="search_trigram_threshold")
