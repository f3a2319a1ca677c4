"""Writes for datasets and their files. Every function is one transition, audited inside it."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.audit.services import audit_record
from apps.core.uploads import (
    delete_stored_file_on_commit,
    inspect_upload,
    store_protected_file,
    stored_file_rollback,
)
from apps.datasets.kind import DATASET
from apps.datasets.models import Dataset, DatasetFile, DatasetStatus
from apps.datasets.selectors import dataset_publication_audience
from apps.items import services as items
from apps.notifications.models import EventType
from apps.notifications.services import notification_emit

# A dataset's steward must be a partner of the project too (checked with the tier), and its
# events are the steward organisation's as well as the project's.
WRITES = items.ItemWrites(
    kind=DATASET,
    model=Dataset,
    editable=("title", "description", "steward_organisation", "access_tier"),
    steward_field="steward_organisation",
    created_state=DatasetStatus.DRAFT,
)


def _dataset_audit(dataset, action: str, *, actor, request=None, **extra):
    return items.item_audit(WRITES, dataset, action, actor=actor, request=request, **extra)


def dataset_create(*, project, actor, **fields) -> Dataset:
    """A draft dataset in `project` (`items.item_create`: title, description,
    steward_organisation, access_tier, allowed_organisations, request); the caller checked
    Action.CONTRIBUTE on the project."""
    return items.item_create(WRITES, project=project, actor=actor, **fields)


def dataset_update(*, dataset, actor, **changes) -> Dataset:
    """Change the metadata, steward or tier; the caller checked Action.EDIT on the dataset
    (`items.item_update`: `allowed_organisations=None` keeps the named organisations)."""
    return items.item_update(WRITES, item=dataset, actor=actor, **changes)


@transaction.atomic
def dataset_publish(*, dataset, actor, request=None) -> Dataset:
    """Draft → published; tells the consortium (the notifications filter by the policy)."""
    dataset = Dataset.objects.select_for_update().select_related("project").get(pk=dataset.pk)
    if dataset.status != DatasetStatus.DRAFT:
        raise ValidationError("Only a draft dataset can be published.")
    dataset.status = DatasetStatus.PUBLISHED
    dataset.published_at = timezone.now()
    dataset.full_clean()
    dataset.save(update_fields=["status", "published_at", "updated_at"])
    _dataset_audit(
        dataset,
        "publish",
        actor=actor,
        request=request,
        from_state=DatasetStatus.DRAFT,
        to_state=DatasetStatus.PUBLISHED,
    )
    notification_emit(
        event_type=EventType.DATASET_PUBLISHED,
        recipients=[user for user in dataset_publication_audience(dataset) if user.pk != actor.pk],
        subject=f"Dataset published in {dataset.project.acronym}: {dataset.title}",
        body=f"{dataset.title} is now published ({dataset.get_access_tier_display()}).",
        url=reverse("datasets:detail", kwargs={"pk": dataset.pk}),
        target=dataset,
        project=dataset.project,
    )
    return dataset


@transaction.atomic
def dataset_retire(*, dataset, actor, reason: str, request=None) -> Dataset:
    """Draft or published → retired: it leaves the catalogue; editors still see it."""
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    if dataset.status == DatasetStatus.RETIRED:
        raise ValidationError("This dataset is already retired.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the dataset is retired."})
    from_state = dataset.status
    dataset.status = DatasetStatus.RETIRED
    dataset.save(update_fields=["status", "updated_at"])
    _dataset_audit(
        dataset,
        "retire",
        actor=actor,
        request=request,
        from_state=from_state,
        to_state=DatasetStatus.RETIRED,
        reason=reason.strip(),
    )
    return dataset


def dataset_file_add(*, dataset, actor, upload, request=None) -> DatasetFile:
    """Validate, store and record one file. The storage write and the row share one transaction,
    and the stored file is deleted if anything fails (including the commit), so a failed upload
    leaves neither row nor file. Raises ValidationError for a refused file."""
    if dataset.status == DatasetStatus.RETIRED:
        raise ValidationError("A retired dataset takes no new files.")
    inspected = inspect_upload(upload)
    row = DatasetFile(dataset=dataset, uploaded_by=actor)
    with stored_file_rollback(row), transaction.atomic():
        store_protected_file(row, upload, inspected)
        dataset_file_record(row, actor=actor, request=request)
    return row


def dataset_file_record(row: DatasetFile, *, actor, request=None, **details) -> DatasetFile:
    """Save a new file row whose bytes are stored and checked, with its `dataset.file.upload`
    audit event, in the caller's transaction. One writer for every way a file arrives (through
    the server, or in parts by `apps.datasets.multipart`, which adds `multipart=True`)."""
    row.full_clean()
    row.save(force_insert=True)
    dataset = row.dataset
    audit_record(
        actor=actor,
        action="dataset.file.upload",
        target=row,
        request=request,
        project_id=dataset.project_id,
        organisation_id=dataset.steward_organisation_id,
        details={"dataset_id": str(dataset.pk), "sha256": row.sha256, "size": row.size, **details},
    )
    return row


@transaction.atomic
def dataset_file_delete(*, file, actor, request=None) -> None:
    """Remove a file; its bytes go once the deletion has committed."""
    details = {
        "dataset_id": str(file.dataset_id),
        "sha256": file.sha256,
        "file_name": file.file_name,
    }
    _dataset_audit(
        file.dataset, "file.delete", target=file, actor=actor, request=request, details=details
    )
    delete_stored_file_on_commit(file.file)
    file.delete()


def dataset_file_record_download(*, file, actor, request=None) -> None:
    """The audit event of one download, written before the body is sent."""
    items.file_record_download(WRITES, file=file, actor=actor, request=request)
