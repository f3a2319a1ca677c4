from django.db import models

from apps.core.shared_items import ItemVersion, SharedItem, project_link


class AnalysisCategory(models.TextChoices):
    CODE = "code", "Analysis code"
    NOTEBOOK = "notebook", "Notebook"
    PIPELINE = "pipeline", "Pipeline"
    REPORT = "report", "Result report"
    MODEL = "model", "Model (e.g. stratification, health-economic)"


class Analysis(SharedItem):
    """A piece of analysis work shared in a project (a biomarker cut-off derivation, a
    stratification model…); its content lives in versions."""

    url_namespace = "analyses"

    project = project_link("analyses")
    category = models.CharField(
        max_length=20, choices=AnalysisCategory.choices, default=AnalysisCategory.CODE
    )

    class Meta(SharedItem.Meta):
        verbose_name_plural = "analyses"


class AnalysisVersion(ItemVersion):
    """Immutable once approved, like a protocol version. It records what it was run on: the
    datasets and protocol versions its author could see when adding it."""

    item_field = "analysis"

    analysis = models.ForeignKey(Analysis, on_delete=models.PROTECT, related_name="versions")
    datasets = models.ManyToManyField("datasets.Dataset", blank=True, related_name="+")
    protocol_versions = models.ManyToManyField(
        "documents.ProtocolVersion", blank=True, related_name="+"
    )

    class Meta:
        ordering = ["analysis", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["analysis", "number"], name="analyses_analysisversion_number_unique"
            ),
        ]
