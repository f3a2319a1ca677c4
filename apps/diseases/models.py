from django.core.exceptions import ValidationError
from django.db import models

from apps.core.models import BaseModel
from apps.diseases.icd10 import validate_icd10_codes


class DiseaseArea(BaseModel):
    """A staff-curated disease area; ICD-10 codes or ranges such as "J44-J45" define it."""

    name = models.CharField(max_length=150, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    icd10_codes = models.JSONField(
        "ICD-10 codes",
        default=list,
        blank=True,
        validators=[validate_icd10_codes],
        help_text="Codes or ranges, e.g. J44, J45 or M05-M14.",
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """A parent may not be the area itself or one of its own descendants (no loops)."""
        super().clean()
        seen, parent = {self.pk}, self.parent
        while parent is not None:
            if parent.pk in seen:
                raise ValidationError(
                    {"parent": "An area cannot sit below itself or one of its own sub-areas."}
                )
            seen.add(parent.pk)
            parent = parent.parent
