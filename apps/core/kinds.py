"""The registry of shared kinds: the things a consortium shares under an access tier
(datasets, protocols, analyses).

Each kind is declared once, in its own app's `kind.py` (`register(SharedKind(...))`), and
every consumer that must know all kinds reads `shared_kinds()` instead of listing them:

| consumer | reads |
|---|---|
| change feed capture (`apps.changes.registry`) | `parts` (resource, model, parent link), tiers, named organisations |
| API router and feed rendering (`apps.api.urls`, `apps.api.feed`) | `Part.resource`, `api_prefix`, `viewset` |
| portal search (`apps.search.selectors`, the search table `apps.search.index`) | `search`, the item's table |
| orphan-file sweep (`apps.datasets.tasks`) | parts with `files` |
| demo data (`seed_demo`) | `demo` |
| tests (policy matrix, leak crawl, completeness) | all of it |

A declaration holds names only (model labels, dotted paths, field names): this module is the
ground floor (it imports no other app), so every floor above may read it. The rules that
govern a kind live in `apps/access/policy/<policy>` as for every model; the declaration names
that module so a test can hold the two together. Change capture (`apps.changes.registry`) is
the database's own registry of *every* syncable table; it builds the shared kinds' part of
itself from this one.

Discovery is Django's: `autodiscover_modules("kind")` imports each installed app's `kind.py`
the first time the registry is read (the app registry must be ready, as for the admin).
"""

from dataclasses import dataclass

from django.utils.module_loading import autodiscover_modules

from apps.core.models import AccessTier


@dataclass(frozen=True)
class Part:
    """One syncable table of a kind: the item itself, or its files or versions."""

    resource: str  # the API resource and change-feed name ("dataset-file")
    model: str  # model label ("datasets.DatasetFile")
    api_prefix: str  # the API list's path under /api/v1/ ("dataset-files")
    viewset: str  # dotted path of the API viewset rendering it (list, detail, feed)
    parent_fk: str = ""  # column linking a file or version to its item ("dataset_id")
    files: bool = False  # rows hold a protected file (`StoredFileFields`): swept for orphans
    # The deliverable's many-to-many field holding this part as evidence, or "" (not citable).
    evidence: str = ""
    evidence_label: str = ""  # how the evidence list names a row's kind ("Protocol")

    @property
    def app_label(self) -> str:
        return self.model.split(".")[0]

    @property
    def project_path(self) -> str:
        """The ORM path from a row of this part to its project."""
        return f"{self.parent_fk.removesuffix('_id')}__project" if self.parent_fk else "project"

    @property
    def table(self) -> str:
        """The default db_table (shared kinds keep Django's default table names)."""
        app_label, model_name = self.model.split(".")
        return f"{app_label}_{model_name.lower()}"


@dataclass(frozen=True)
class Search:
    """How the portal search finds and shows the kind's items: read by the ORM search
    (`apps.search.selectors.Kind`) and projected into the search table (`apps.search.index`,
    whose visibility rule `apps.search.statements` builds from `published` and `granted`)."""

    fields: tuple[str, ...]  # searched, all readable by whoever sees the row
    title: str = "title"
    status: str = ""  # status field shown as a facet, or "" for none
    organisation: str = ""  # organisation field (a facet), or ""
    year_from: tuple[str, ...] = ("created_at",)  # first non-null gives the year facet
    moment: str = "updated_at"  # the recency results are ordered by
    # The kind's view rule beyond "the tier's metadata rule, or the project's editors" (the
    # rule in `apps/access/policy/<policy>`, restated here for the search table, where
    # tests/search/test_search_table.py holds the two equal for every persona):
    published: str = ""  # the `status` an item needs before its tier shows it ("": none)
    granted: bool = False  # holders of an active access grant see the item (datasets)

    def __post_init__(self) -> None:
        if self.published and not self.status:
            raise ValueError("A kind whose items are published names its status field.")


@dataclass(frozen=True)
class SharedKind:
    name: str  # "dataset"
    label: str  # "Dataset"
    plural: str  # "Datasets"
    parts: tuple[Part, ...]  # the item first, then its files or versions
    policy: str  # module under apps/access/policy/ holding the kind's rules
    tiers: tuple[str, ...]  # the access tiers an item may take
    search: Search
    detail_url: str  # URL name of the item's page, with `pk`
    notifications: tuple[str, ...] = ()  # notification event types the kind sends
    demo: str = ""  # dotted module with `seed(stdout)` for `seed_demo`
    order: int = 100  # place among kinds (search ranks kinds in this order)

    @property
    def item(self) -> Part:
        return self.parts[0]

    @property
    def children(self) -> tuple[Part, ...]:
        return self.parts[1:]

    @property
    def model(self) -> str:
        return self.item.model

    @property
    def named_organisations(self) -> str:
        """The link table's label of the named-organisations tier (a many-to-many)."""
        return f"{self.model}.allowed_organisations"


ALL_TIERS = tuple(AccessTier.values)
_KINDS: dict[str, SharedKind] = {}
_discovered = False


def register(kind: SharedKind) -> SharedKind:
    """Declare a shared kind (from its app's `kind.py`)."""
    if kind.name in _KINDS and _KINDS[kind.name] != kind:
        raise RuntimeError(f"Two declarations of the shared kind {kind.name!r}")
    _KINDS[kind.name] = kind
    return kind


def shared_kinds() -> tuple[SharedKind, ...]:
    """Every declared kind, in their declared order."""
    global _discovered
    if not _discovered:
        autodiscover_modules("kind")
        _discovered = True
    return tuple(sorted(_KINDS.values(), key=lambda kind: (kind.order, kind.name)))


def shared_kind(name: str) -> SharedKind:
    return {kind.name: kind for kind in shared_kinds()}[name]


def shared_parts() -> tuple[Part, ...]:
    return tuple(part for kind in shared_kinds() for part in kind.parts)


def evidence_parts() -> tuple[Part, ...]:
    """The parts a deliverable may cite as evidence (datasets, protocol and analysis versions)."""
    return tuple(part for part in shared_parts() if part.evidence)


def kind_of_model(label: str) -> SharedKind | None:
    """The kind a model label belongs to (its item or one of its parts), or None."""
    for kind in shared_kinds():
        if any(part.model == label for part in kind.parts):
            return kind
    return None
