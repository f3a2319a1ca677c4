from django.db import models
from django.utils import timezone

from apps.core.ids import uuid7


class BaseModel(models.Model):
    """Every domain row: a UUID identity for URLs and the API, and sync timestamps."""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True


class AccessTier(models.TextChoices):
    """How far an item's metadata and files reach (DESIGN.md §3)."""

    PUBLIC = "public", "Public"
    REGISTERED = "registered", "Registered members"
    CONSORTIUM = "consortium", "Consortium"
    ORGANISATIONS = "organisations", "Named organisations"
    CONTROLLED = "controlled", "Controlled access"
