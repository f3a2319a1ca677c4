from django.conf import settings
from django.db import models
from django.urls import reverse

from apps.core.files import StoredFileFields
from apps.core.guard import GuardedManager
from apps.core.models import BaseModel
from apps.core.shared_items import ItemPart, SharedItem, project_link

DUO_RELEASE = "v2021-02-23"


class DuoTerm(models.Model):
    """A GA4GH Data Use Ontology term, loaded from shared/data/duo-terms.csv by a data migration."""

    class Kind(models.TextChoices):
        PERMISSION = "permission", "Permission"
        MODIFIER = "modifier", "Modifier"

    id = models.CharField(primary_key=True, max_length=20)  # e.g. DUO:0000007
    shorthand = models.CharField(max_length=10, unique=True)
    label = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    parent_id_code = models.CharField(max_length=20, blank=True)
    requires_value = models.CharField(max_length=20, default="none")
    summary = models.TextField()

    class Meta:
        ordering = ["kind", "shorthand"]

    def __str__(self) -> str:
        return f"{self.shorthand} ({self.label})"


class DatasetStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


class Dataset(SharedItem):
    url_namespace = "datasets"

    project = project_link("datasets")
    steward_organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="stewarded"
    )
    status = models.CharField(
        max_length=20, choices=DatasetStatus.choices, default=DatasetStatus.DRAFT, db_index=True
    )
    published_at = models.DateTimeField(null=True, blank=True)
    requires_steward_approval = models.BooleanField(
        default=False, help_text="Controlled access also needs the steward organisation's approval."
    )
    auto_approve = models.BooleanField(
        default=False,
        help_text="The committee opted in to approving requests that pass every check.",
    )

    class Meta(SharedItem.Meta):
        indexes = [
            models.Index(fields=["project", "access_tier"], name="dataset_project_tier_idx"),
            # The dataset list's order: a page walks the index and stops after its rows
            # instead of sorting every visible dataset (128 -> 19 ms at scale l).
            models.Index(fields=["title", "id"], name="dataset_title_order_idx"),
        ]


class DataUsePolicy(BaseModel):
    """One version of a dataset's DUO conditions; grants remember the version they were made under."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="policies")
    version = models.PositiveIntegerField()
    duo_release = models.CharField(max_length=20, default=DUO_RELEASE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["dataset", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "version"], name="datasets_datausepolicy_version_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dataset} policy v{self.version}"


class DataUseCondition(models.Model):
    """A DUO term in a policy with its typed value, e.g. DS → disease area ids, TS → months."""

    policy = models.ForeignKey(DataUsePolicy, on_delete=models.CASCADE, related_name="conditions")
    term = models.ForeignKey(DuoTerm, on_delete=models.PROTECT, related_name="+")
    value = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "term"], name="datasets_datausecondition_term_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.term.shorthand}={self.value}" if self.value else self.term.shorthand


class DatasetFile(ItemPart, StoredFileFields, BaseModel):
    item_field = "dataset"

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="files")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = GuardedManager()

    class Meta:
        ordering = ["file_name"]

    def __str__(self) -> str:
        return self.file_name

    def get_download_url(self) -> str:
        return reverse("datasets:file_download", kwargs={"pk": self.dataset_id, "file_pk": self.pk})


class DatasetFileUpload(BaseModel):
    """A resumable upload of one dataset file straight to object storage (S3 multipart).

    The parts travel from the client to the bucket with presigned URLs; this row only knows
    where they go (`key`, `upload_id`) and what the finished file must be (`size`, `sha256`).
    When completed, a DatasetFile with the id `file_id` points at the same key. Rows left open
    are aborted by the temporary-upload sweep (apps/core/sweeps.py). A file larger than
    STRATUM_MULTIPART_VERIFY_INLINE_BYTES is `verifying` between the client's "complete" and the
    worker's check of its SHA-256 (apps/datasets/multipart.py); `error` says why one failed."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        VERIFYING = "verifying", "Verifying"
        COMPLETED = "completed", "Completed"
        ABORTED = "aborted", "Aborted"

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    file_name = models.CharField(max_length=255)
    size = models.BigIntegerField()
    sha256 = models.CharField("SHA-256", max_length=64)
    part_size = models.BigIntegerField()
    file_id = models.UUIDField(unique=True, help_text="The DatasetFile this upload becomes.")
    key = models.CharField(max_length=300, unique=True)
    upload_id = models.CharField(max_length=1024)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    error = models.TextField(blank=True, help_text="Why the file was refused at completion.")
    verify_claimed_until = models.DateTimeField(
        null=True, blank=True, help_text="A worker is verifying the file until then."
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.file_name

    @property
    def part_count(self) -> int:
        return max(1, -(-self.size // self.part_size))
