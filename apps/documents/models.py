from django.conf import settings
from django.db import models
from django.urls import reverse

from apps.core.files import StoredFileFields
from apps.core.guard import GuardedManager
from apps.core.models import AccessTier, BaseModel


class Protocol(BaseModel):
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="protocols"
    )
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
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

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("documents:detail", kwargs={"pk": self.pk})


class ProtocolVersion(StoredFileFields, BaseModel):
    """Immutable once approved: a change is a new version that supersedes it."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"
        SUPERSEDED = "superseded", "Superseded"

    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    change_note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    objects = GuardedManager()

    class Meta:
        ordering = ["protocol", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["protocol", "number"], name="documents_protocolversion_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.protocol} v{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("documents:detail", kwargs={"pk": self.protocol_id})

    def get_download_url(self) -> str:
        return reverse(
            "documents:version_download", kwargs={"pk": self.protocol_id, "number": self.number}
        )
