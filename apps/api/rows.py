"""Dataset list pages read as plain rows, without model instances.

A full sync renders 200 datasets and their files a page. As model instances, each with UUID
and datetime objects per value (timestamps pass through Django's pure-Python time-zone
loader), the rows cost several times more than their JSON. Here a page is read with
`values_list()`: PostgreSQL casts ids and timestamps to text, so every value arrives as a
`str`, `int` or `bool`, and the output is built from named tuples.

The rows come from the queryset the view built (policy filter, download column, filters,
cursor), so no statement is added: one for the datasets, one for their files, one for their
named organisations, as the prefetching path did.
"""

from collections import defaultdict
from datetime import datetime

from django.db import connection
from django.db.models import QuerySet, TextField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast

from apps.access.policy.items import FILES_OF_VISIBLE_DATASETS
from apps.datasets.models import Dataset, DatasetFile


def _text(field: str) -> Cast:
    # A UUID as text is its hyphenated lower-case form, as `str(uuid)`; a timestamp is
    # ISO 8601 in the connection's zone (UTC), which `datetime.fromisoformat` reads.
    return Cast(field, output_field=TextField())


# Row attribute → the model field read as text.
_DATASET_TEXT = {
    "key": "id",
    "created": "created_at",
    "updated": "updated_at",
    "project_key": "project_id",
    "steward_key": "steward_organisation_id",
    "published": "published_at",
}
_DATASET_PLAIN = ("title", "description", "access_tier", "status", "requires_steward_approval")

_FILE_TEXT = {
    "key": "id",
    "created": "created_at",
    "updated": "updated_at",
    "dataset_key": "dataset_id",
}
_FILE_PLAIN = ("file_name", "sha256", "size", "content_type")


def dataset_rows(queryset: QuerySet, *, download_column: str) -> QuerySet:
    """`queryset` (datasets, already narrowed by the policy and carrying the boolean
    annotation `download_column`) as named tuples: `key`, `created`, `updated`, `project_key`,
    `steward_key`, `published` (text), the plain fields, and `download_column` itself."""
    return (
        queryset.prefetch_related(None)
        .annotate(**{name: _text(field) for name, field in _DATASET_TEXT.items()})
        .values_list(*_DATASET_TEXT, *_DATASET_PLAIN, download_column, named=True)
    )


def page_key(row) -> tuple[datetime, str]:
    """The keyset position of a dataset row: its `updated_at` and id (see pagination)."""
    return datetime.fromisoformat(row.updated), row.key


def _among(dataset_ids: list[str]):
    """The page's dataset ids for `__in`: on PostgreSQL one array parameter, so the statement
    is not compiled and quoted with 200 placeholders; elsewhere the plain list."""
    if connection.vendor != "postgresql":
        return dataset_ids
    return RawSQL("SELECT unnest(%s::uuid[])", (dataset_ids,))


def files_by_dataset(dataset_ids: list[str]) -> dict[str, list]:
    """The files of these datasets as rows, per dataset id, in name order (then id).

    The datasets are ones the caller may see, and a file is visible exactly when its dataset
    is (`apps.access.policy.items`), so no second policy filter is needed."""
    rows = (
        DatasetFile.objects.system(FILES_OF_VISIBLE_DATASETS)
        .filter(dataset_id__in=_among(dataset_ids))
        .order_by("file_name", "id")
        .annotate(**{name: _text(field) for name, field in _FILE_TEXT.items()})
        .values_list(*_FILE_TEXT, *_FILE_PLAIN, named=True)
    )
    grouped: dict[str, list] = defaultdict(list)
    for row in rows:
        grouped[row.dataset_key].append(row)
    return grouped


def organisations_by_dataset(dataset_ids: list[str]) -> dict[str, list[str]]:
    """The ids of each dataset's named organisations, in the organisations' own order (by
    name), as `dataset.allowed_organisations.all()` lists them."""
    through = Dataset.allowed_organisations.through
    pairs = (
        through.objects.filter(dataset_id__in=_among(dataset_ids))
        .order_by("organisation__name", "organisation_id")
        .values_list(_text("dataset_id"), _text("organisation_id"))
    )
    grouped: dict[str, list[str]] = defaultdict(list)
    for dataset_id, organisation_id in pairs:
        grouped[dataset_id].append(organisation_id)
    return grouped
