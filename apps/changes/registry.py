"""Every kind of row the change feed knows, written once: the syncable resources (each with
the project it belongs to) and the rows whose writes change who sees them (the fan-out).

`apps.changes.triggers` turns this registry into database triggers for PostgreSQL and SQLite
and into the statements the time-end beat task runs; the API reads `syncable()` to render
entries. A shared kind (datasets, protocols, analyses) is declared in `apps.core.kinds` and
captured from its declaration; another syncable table is added here (plus its API viewset).

SQL fragments use `{R}` for the written row (NEW, or OLD for a deletion) and `{changed:f}`
for "column f changed in this UPDATE"; everything else is plain SQL that PostgreSQL and
SQLite both accept. Ids are copied column to column, so each database keeps its own uuid form.
"""

from dataclasses import dataclass, field
from functools import cache

from apps.core.kinds import Part, SharedKind, shared_kinds

# resource name → model label of the syncable tables that are not shared kinds; the shared
# kinds' parts come from their declarations (`apps.core.kinds`). The API's viewsets render
# each (apps.api.feed.viewsets).
_OWN_SYNCABLE = {
    "organisation": "organisations.Organisation",
    "disease-area": "diseases.DiseaseArea",
    "project": "projects.Project",
    "milestone": "milestones.Milestone",
    "deliverable": "milestones.Deliverable",
    "access-request": "access.AccessRequest",
    "grant": "access.AccessGrant",
    "notification": "notifications.Notification",
}

# The project of a row of each syncable table that is not a shared kind (SQL over {R}).
_DATASET_PROJECT = "(SELECT d.project_id FROM datasets_dataset d WHERE d.id = {R}.dataset_id)"
_OWN_PROJECT_OF = {
    "organisation": "NULL",
    "disease-area": "NULL",
    "project": "{R}.id",
    "milestone": "{R}.project_id",
    "deliverable": "{R}.project_id",
    "access-request": _DATASET_PROJECT,
    "grant": _DATASET_PROJECT,
    "notification": "{R}.project_id",
}


def syncable(kinds: tuple[SharedKind, ...] | None = None) -> dict[str, str]:
    """resource name → model label, for every table the change feed captures."""
    kinds = shared_kinds() if kinds is None else kinds
    shared = {part.resource: part.model for kind in kinds for part in kind.parts}
    return {**_OWN_SYNCABLE, **shared}


def _project_of_part(kind: SharedKind, part: Part) -> str:
    """The project of a row of a shared kind's part: its own column, or its item's."""
    if part is kind.item:
        return "{R}.project_id"
    item = kind.item.table
    return f"(SELECT p.project_id FROM {item} p WHERE p.id = {{R}}.{part.parent_fk})"


def project_of(resource: str) -> str:
    if resource in _OWN_PROJECT_OF:
        return _OWN_PROJECT_OF[resource]
    for kind in shared_kinds():
        for part in kind.parts:
            if part.resource == resource:
                return _project_of_part(kind, part)
    raise LookupError(f"No syncable resource {resource!r}")


def _part_rows(kind: SharedKind, part: Part, where: str) -> str:
    """SELECT (part id, project id) of a shared kind's part, the item aliased `i` and the
    part `x`, for rows matching `where` (SQL over `i`)."""
    if part is kind.item:
        return f"SELECT i.id, i.project_id FROM {part.table} i WHERE {where}"
    return (
        f"SELECT x.id, i.project_id FROM {part.table} x "
        f"JOIN {kind.item.table} i ON i.id = x.{part.parent_fk} WHERE {where}"
    )


@dataclass(frozen=True)
class Emit:
    """One INSERT … SELECT into the feed: rows (object id, project id) from `source`.

    `source` is "SELECT <object id>, <project id> [FROM …] [WHERE …]"; `user` / `organisation`
    address the entries (SQL over {R}, or NULL for everyone); `when` limits the events."""

    resource: str
    source: str
    user: str = "NULL"
    organisation: str = "NULL"
    events: tuple[str, ...] = ("INSERT", "UPDATE", "DELETE")
    tombstone_on_delete: bool = False


@dataclass(frozen=True)
class Capture:
    """The entries a write to one table produces."""

    label: str  # model label, or "app.Model.field" for a many-to-many link table
    emits: list[Emit] = field(default_factory=list)


def _children(project_ids: str, kinds) -> list[tuple[str, str]]:
    """(resource, SELECT id, project_id) for everything whose visibility follows a project."""
    shared = [
        (part.resource, _part_rows(kind, part, f"i.project_id IN ({project_ids})"))
        for kind in kinds
        for part in kind.parts
    ]
    return [
        *shared,
        (
            "milestone",
            f"SELECT x.id, x.project_id FROM milestones_milestone x WHERE x.project_id IN ({project_ids})",
        ),
        (
            "deliverable",
            f"SELECT x.id, x.project_id FROM milestones_deliverable x WHERE x.project_id IN ({project_ids})",
        ),
    ]


def project_items(
    project_ids: str, kinds, *, user="NULL", organisation="NULL", projects=True, **kw
):
    """Entries for the projects (SQL list of ids) and every item whose visibility follows them."""
    emits = []
    if projects:
        source = f"SELECT x.id, x.id FROM projects_project x WHERE x.id IN ({project_ids})"
        emits.append(Emit("project", source, user, organisation, **kw))
    emits += [
        Emit(r, source, user, organisation, **kw) for r, source in _children(project_ids, kinds)
    ]
    return emits


def registered_tier_items(kinds, *, user="NULL", organisation="NULL", **kw) -> list[Emit]:
    """Items shown to anyone with an approved affiliation: gained or lost with the last one."""
    registered = "i.access_tier = 'registered'"
    return [
        Emit(part.resource, _part_rows(kind, part, registered), user, organisation, **kw)
        for kind in kinds
        if "registered" in kind.tiers
        for part in kind.parts
    ]


def _dataset_for(user: str, dataset_id: str, **kw) -> list[Emit]:
    """A dataset and its files, addressed to one person (a grant opened or closed them)."""
    project = f"(SELECT d.project_id FROM datasets_dataset d WHERE d.id = {dataset_id})"
    return [
        Emit("dataset", f"SELECT {dataset_id}, {project}", user, **kw),
        Emit(
            "dataset-file",
            f"SELECT x.id, {project} FROM datasets_datasetfile x WHERE x.dataset_id = {dataset_id}",
            user,
            **kw,
        ),
    ]


def _primary(resource: str) -> Emit:
    """The written row itself; a notification concerns its recipient only."""
    user = "{R}.recipient_id" if resource == "notification" else "NULL"
    source = f"SELECT {{R}}.id, {project_of(resource)}"
    return Emit(resource, source, user=user, tombstone_on_delete=True)


_ORG_PROJECTS = "SELECT pa.project_id FROM projects_partner pa WHERE pa.organisation_id = {R}.id"
_STATE_CHANGE = ("UPDATE",)


def _captures(kinds: tuple[SharedKind, ...]) -> list[Capture]:
    by_label = {label: Capture(label, [_primary(r)]) for r, label in syncable(kinds).items()}
    on_update = {"events": _STATE_CHANGE}
    # A project's status or summary visibility decides who sees everything in it.
    by_label["projects.Project"].emits.extend(
        Emit(
            e.resource,
            e.source + " AND ({changed:status} OR {changed:summary_visibility})",
            events=_STATE_CHANGE,
        )
        for e in project_items("{R}.id", kinds, projects=False)
    )
    # Tier or status changes reach the files and versions, whose visibility follows them.
    for kind in kinds:
        by_label[kind.model].emits.extend(
            Emit(
                part.resource,
                f"SELECT x.id, {{R}}.project_id FROM {part.table} x WHERE x.{part.parent_fk} = {{R}}.id",
                **on_update,
            )
            for part in kind.children
        )
    # An organisation approved or suspended: its people gain or lose what came through it.
    suspended = " AND {changed:status}"
    org = "{R}.id"
    organisation_emits = [
        *project_items(_ORG_PROJECTS, kinds, organisation=org, **on_update),
        *registered_tier_items(kinds, organisation=org, **on_update),
        Emit(
            "grant",
            "SELECT g.id, NULL FROM access_accessgrant g WHERE g.organisation_id = {R}.id",
            organisation=org,
            **on_update,
        ),
        Emit(
            "dataset",
            "SELECT g.dataset_id, NULL FROM access_accessgrant g WHERE g.organisation_id = {R}.id",
            organisation=org,
            **on_update,
        ),
        Emit(
            "dataset-file",
            "SELECT f.id, NULL FROM datasets_datasetfile f JOIN access_accessgrant g "
            "ON g.dataset_id = f.dataset_id WHERE g.organisation_id = {R}.id",
            organisation=org,
            **on_update,
        ),
    ]
    by_label["organisations.Organisation"].emits.extend(
        Emit(e.resource, _and(e.source, suspended), e.user, e.organisation, e.events)
        for e in organisation_emits
    )
    # A grant opens (or, revoked, suspended or expired, closes) its dataset to its holder.
    by_label["access.AccessGrant"].emits.extend(_dataset_for("{R}.user_id", "{R}.dataset_id"))
    project_row = "SELECT {R}.project_id, {R}.project_id"
    return [
        *by_label.values(),
        # The project lists its partners, members and biomarkers; members and partner
        # organisations gain or lose everything in it.
        Capture(
            "projects.Membership",
            [
                Emit("project", project_row),
                *project_items("{R}.project_id", kinds, user="{R}.user_id"),
            ],
        ),
        Capture(
            "projects.Partner",
            [
                Emit("project", project_row),
                *project_items("{R}.project_id", kinds, organisation="{R}.organisation_id"),
            ],
        ),
        Capture("projects.Biomarker", [Emit("project", project_row)]),
        Capture(
            "organisations.Affiliation",
            [
                Emit("organisation", "SELECT {R}.organisation_id, NULL", user="{R}.user_id"),
                *project_items(
                    "SELECT pa.project_id FROM projects_partner pa WHERE pa.organisation_id = {R}.organisation_id",
                    kinds,
                    user="{R}.user_id",
                ),
                *registered_tier_items(kinds, user="{R}.user_id"),
            ],
        ),
        Capture(
            "access.CommitteeMember",
            [
                Emit(
                    "access-request",
                    "SELECT ar.id, d.project_id FROM access_accessrequest ar "
                    "JOIN datasets_dataset d ON d.id = ar.dataset_id "
                    "JOIN access_dataaccesscommittee c ON c.project_id = d.project_id "
                    "WHERE c.id = {R}.committee_id",
                    user="{R}.user_id",
                )
            ],
        ),
        # Naming or unnaming an organisation opens or closes an item and its parts to it.
        *(_named_organisations(kind) for kind in kinds),
        Capture(
            "projects.Project.disease_areas",
            [Emit("project", project_row, events=("INSERT", "DELETE"))],
        ),
    ]


def _named_organisations(kind: SharedKind) -> Capture:
    fk = kind.item.model.split(".")[1].lower() + "_id"
    project = f"(SELECT i.project_id FROM {kind.item.table} i WHERE i.id = {{R}}.{fk})"
    links = ("INSERT", "DELETE")
    emits = [Emit(kind.item.resource, f"SELECT {{R}}.{fk}, {project}", events=links)]
    emits += [
        Emit(
            part.resource,
            f"SELECT x.id, {project} FROM {part.table} x WHERE x.{part.parent_fk} = {{R}}.{fk}",
            events=links,
        )
        for part in kind.children
    ]
    return Capture(kind.named_organisations, emits)


def _and(source: str, condition: str) -> str:
    """Add a condition to a SELECT that may or may not have a WHERE yet."""
    return source + (condition if " WHERE " in source else " WHERE 1 = 1" + condition)


@cache
def captures(kinds: tuple[SharedKind, ...] | None = None) -> list[Capture]:
    """Every capture: what a write to each captured table puts into the feed. `kinds`: the
    shared kinds whose tables exist (a migration installing the triggers before a kind's app
    has created its tables leaves that kind out; its own migration installs them again)."""
    return _captures(shared_kinds() if kinds is None else kinds)
