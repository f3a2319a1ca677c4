from django.apps import AppConfig


class AnalysesConfig(AppConfig):
    """Analyses: code, notebooks, pipelines and result reports shared under an access tier,
    versioned like protocols, each version citing the datasets and protocol versions it used.
    A shared kind (`kind.py`): the feed, API, search and sweeps find it in the registry."""

    name = "apps.analyses"
    label = "analyses"
    verbose_name = "Analyses"
