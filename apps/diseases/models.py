from django.db import models

from apps.core.models import BaseModel


class DiseaseArea(BaseModel):
    """A staff-curated disease area; ICD-10 codes or ranges such as "J44-J45" define it."""

    name = models.CharField(max_length=150, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    icd10_codes = models.JSONField(
        "ICD-10 codes",
        default=list,
        blank=True,
        help_text="Codes or ranges, e.g. J44, J45 or M05-M14.",
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
