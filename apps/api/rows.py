"""Dataset list pages read as plain rows, without model instances.

A full sync renders 200 datasets and their files a page. As model instances, each with UUID
and datetime objects per value (timestamps pass through Django's pure-Python time-zone
loader), the rows cost several times more than their JSON. Here a page is read with
`values_list()`: PostgreSQL casts ids and timestamps to text, so every value arrives as a
`str`, `int` or `bool`, and the output is built from named tuples.

The rows come from the queryset the view built (policy filter, download column, filters,
cursor), so no statement is added: one for the datasets, one for their files, one for their
named organisations, as the prefetching path did.

The files' and the organisations' statements are the same SQL for every page but for the
page's dataset ids (one array parameter): on PostgreSQL, Django compiles each once per process
(`_PageStatement`) and later pages only execute it, as building and compiling the queryset
cost more than PostgreSQL's answer.
"""

from collections import defaultdict, namedtuple
from datetime import datetime

from django.db import connection
from django.db.models import DateTimeField, F, Func, QuerySet, TextField, UUIDField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast

from apps.access.policy.items import FILES_OF_VISIBLE_DATASETS
from apps.core.compiled import OneValueStatement
from apps.datasets.models import Dataset, DatasetFile

# SQLite (`make run`) stores a UUID as 32 hex digits and a time as "YYYY-MM-DD HH:MM:SS[.f]"
# in UTC: rewritten in SQL to the forms PostgreSQL's text cast gives.
_SQLITE_UUID = (
    "lower("
    + " || '-' || ".join(
        f"substr(%(expressions)s, {start}, {length})"
        for start, length in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
    )
    + ")"
)
_SQLITE_TIME = "(replace(%(expressions)s, ' ', 'T') || '+00:00')"


def _text(model, name: str):
    """`model`'s field `name` read as text. A UUID as text is its hyphenated lower-case
    form, as `str(uuid)`; a timestamp is ISO 8601 with its offset (UTC), which
    `datetime.fromisoformat` reads — on PostgreSQL by its cast, elsewhere rewritten."""
    if connection.vendor == "postgresql":
        return Cast(name, output_field=TextField())
    field = model._meta.get_field(name)
    target = field.target_field if field.is_relation else field
    if isinstance(target, UUIDField):
        return Func(F(name), template=_SQLITE_UUID, output_field=TextField())
    if isinstance(target, DateTimeField):
        return Func(F(name), template=_SQLITE_TIME, output_field=TextField())
    return Cast(name, output_field=TextField())


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
        .annotate(**{name: _text(Dataset, field) for name, field in _DATASET_TEXT.items()})
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


class _PageStatement:
    """A page's child statement: `build(ids)` (a `values_list` queryset of the datasets `ids`)
    compiled once per process on PostgreSQL, then executed with each page's ids.

    The rows are what the queryset would give (its columns in `values_list` order, as named
    tuples when `named`): every column read needs no converter (text casts, plain text and
    integers), so the cursor's rows are Django's. A column that needs one must not be added
    here without it (tests/api/test_perf_serialisation.py compares the two paths)."""

    def __init__(self, build, *, named: bool = False):
        self.build = build
        self.named = named
        self.compiled = None

    def _compile(self):
        placeholder: list[str] = []
        queryset = self.build(_among(placeholder))
        compiler = queryset.query.get_compiler(using=queryset.db)
        row_class = namedtuple("Row", queryset._fields) if self.named else None
        return OneValueStatement.compile(compiler, placeholder), row_class

    def rows(self, dataset_ids: list[str]) -> list:
        if connection.vendor != "postgresql":
            return list(self.build(_among(dataset_ids)))
        if self.compiled is None:
            self.compiled = self._compile()
        statement, row_class = self.compiled
        # The ids (PostgreSQL's own text of uuids) as one array literal, which the statement
        # casts: the driver quotes one string instead of adapting 200 list elements.
        fetched = statement.fetchall(connection, "{" + ",".join(map(str, dataset_ids)) + "}")
        return fetched if row_class is None else [row_class._make(row) for row in fetched]


def _files(among):
    # The datasets are ones the caller may see, and a file is visible exactly when its
    # dataset is (`apps.access.policy.items`), so no second policy filter is needed.
    return (
        DatasetFile.objects.system(FILES_OF_VISIBLE_DATASETS)
        .filter(dataset_id__in=among)
        .order_by("file_name", "id")
        .annotate(**{name: _text(DatasetFile, field) for name, field in _FILE_TEXT.items()})
        .values_list(*_FILE_TEXT, *_FILE_PLAIN, named=True)
    )


def _organisation_pairs(among):
    through = Dataset.allowed_organisations.through
    return (
        through.objects.filter(dataset_id__in=among)
        .order_by("organisation__name", "organisation_id")
        .values_list(_text(through, "dataset_id"), _text(through, "organisation_id"))
    )


_FILES = _PageStatement(_files, named=True)
_ORGANISATION_PAIRS = _PageStatement(_organisation_pairs)


def files_by_dataset(dataset_ids: list[str]) -> dict[str, list]:
    """The files of these (visible) datasets as rows, per dataset id, in name order (then
    id)."""
    grouped: dict[str, list] = defaultdict(list)
    for row in _FILES.rows(dataset_ids):
        grouped[row.dataset_key].append(row)
    return grouped


def organisations_by_dataset(dataset_ids: list[str]) -> dict[str, list[str]]:
    """The ids of each dataset's named organisations, in the organisations' own order (by
    name), as `dataset.allowed_organisations.all()` lists them."""
    grouped: dict[str, list[str]] = defaultdict(list)
    for dataset_id, organisation_id in _ORGANISATION_PAIRS.rows(dataset_ids):
        grouped[dataset_id].append(organisation_id)
    return grouped
