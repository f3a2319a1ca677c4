"""What the shared kinds' models have in common (`apps.core.kinds` says which kinds there are).

An item (a dataset, a protocol, an analysis) belongs to a project and reaches as far as its
access tier says; a version (of a protocol or an analysis) is a stored file with a number and
a life cycle: draft, then approved (immutable), then superseded by the next approval. The
fields here are the ones the three kinds' tables already had, so inheriting them changes no
table; each kind adds its own (a dataset's steward and status, an analysis's category and
cited inputs) and its link to the project (whose reverse name is the kind's own).
"""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.urls import reverse

from apps.core.files import StoredFileFields
from apps.core.guard import GuardedManager
from apps.core.models import AccessTier, BaseModel


def project_link(related_name: str) -> models.ForeignKey:
    """An item's project (the reverse name, `project.<related_name>`, is the kind's own)."""
    return models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name=related_name
    )


class SharedItem(BaseModel):
    """A project's item under an access tier. Subclasses add `project = project_link(...)` and
    name their URL namespace (`<namespace>:detail` is the item's page)."""

    url_namespace: ClassVar[str]

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
        abstract = True
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse(f"{self.url_namespace}:detail", kwargs={"pk": self.pk})


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"
    SUPERSEDED = "superseded", "Superseded"


class ItemPart(models.Model):
    """A row belonging to one item (a dataset's file, a protocol's version): subclasses add
    the link to the item and name it in `item_field`."""

    item_field: ClassVar[str]

    class Meta:
        abstract = True

    def get_absolute_url(self) -> str:
        return reverse(f"{self.item_model().url_namespace}:detail", kwargs={"pk": self.item_id})

    @classmethod
    def item_model(cls) -> type[SharedItem]:
        return cls._meta.get_field(cls.item_field).related_model

    @property
    def item(self) -> SharedItem:
        return getattr(self, self.item_field)

    @property
    def item_id(self):
        return getattr(self, f"{self.item_field}_id")


class ItemVersion(ItemPart, StoredFileFields, BaseModel):
    """Immutable once approved: a change is a new version that supersedes it. Subclasses add
    the link to their item (`related_name="versions"`) and name it in `item_field`."""

    Status = VersionStatus

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
        abstract = True

    def __str__(self) -> str:
        return f"{self.item} v{self.number}"

    def get_download_url(self) -> str:
        namespace = self.item_model().url_namespace
        return reverse(
            f"{namespace}:version_download", kwargs={"pk": self.item_id, "number": self.number}
        )
