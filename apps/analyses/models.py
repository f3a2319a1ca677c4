from django.conf import settings
from django.db import models
from django.urls import reverse

from apps.core.files import StoredFileFields
from apps.core.guard import GuardedManager
from apps.core.models import AccessTier, BaseModel


class AnalysisCategory(models.TextChoices):
    CODE = "code", "Analysis code"
    NOTEBOOK = "notebook", "Notebook"
    PIPELINE = "pipeline", "Pipeline"
    REPORT = "report", "Result report"
    MODEL = "model", "Model (e.g. stratification, health-economic)"


class Analysis(BaseModel):
    """A piece of analysis work shared in a project (a biomarker cut-off derivation, a
    stratification model…); its content lives in versions."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="analyses"
    )
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    category = models.CharField(
        max_length=20, choices=AnalysisCategory.choices, default=AnalysisCategory.CODE
    )
    access_tier = models.CharField(
        max_length=20, choices=AccessTier.choices, default=AccessTier.CONSORTIUM, db_index=True
    )
    allowed_organisations = models.ManyToManyField(
        "organisations.Organisation",
        blank=True,
        related_name="+",
        help_text="For the named-organisations tier: whose members may download.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = GuardedManager()

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "analyses"

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("analyses:detail", kwargs={"pk": self.pk})


class AnalysisVersion(StoredFileFields, BaseModel):
    """Immutable once approved, like a protocol version. It records what it was run on: the
    datasets and protocol versions its author could see when adding it."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"
        SUPERSEDED = "superseded", "Superseded"

    analysis = models.ForeignKey(Analysis, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    change_note = models.TextField(blank=True)
    datasets = models.ManyToManyField("datasets.Dataset", blank=True, related_name="+")
    protocol_versions = models.ManyToManyField(
        "documents.ProtocolVersion", blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    objects = GuardedManager()

    class Meta:
        ordering = ["analysis", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["analysis", "number"], name="analyses_analysisversion_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.analysis} v{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("analyses:detail", kwargs={"pk": self.analysis_id})

    def get_download_url(self) -> str:
        return reverse(
            "analyses:version_download", kwargs={"pk": self.analysis_id, "number": self.number}
        )
