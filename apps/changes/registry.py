"""Every kind of row the change feed knows, written once: the syncable resources (each with
the project it belongs to) and the rows whose writes change who sees them (the fan-out).

`apps.changes.triggers` turns this registry into database triggers for PostgreSQL and SQLite
and into the statements the time-end beat task runs; the API reads `SYNCABLE` to render
entries. A new syncable kind is added here and nowhere else (plus its API viewset).

SQL fragments use `{R}` for the written row (NEW, or OLD for a deletion) and `{changed:f}`
for "column f changed in this UPDATE"; everything else is plain SQL that PostgreSQL and
SQLite both accept. Ids are copied column to column, so each database keeps its own uuid form.
"""

from dataclasses import dataclass, field

# resource name → model label; the API's viewsets render each (apps.api.feed.viewsets).
SYNCABLE = {
    "organisation": "organisations.Organisation",
    "disease-area": "diseases.DiseaseArea",
    "project": "projects.Project",
    "dataset": "datasets.Dataset",
    "dataset-file": "datasets.DatasetFile",
    "protocol": "documents.Protocol",
    "protocol-version": "documents.ProtocolVersion",
    "milestone": "milestones.Milestone",
    "deliverable": "milestones.Deliverable",
    "access-request": "access.AccessRequest",
    "grant": "access.AccessGrant",
    "notification": "notifications.Notification",
}

# The project of a row of each syncable table (an SQL expression over {R}).
_DATASET_PROJECT = "(SELECT d.project_id FROM datasets_dataset d WHERE d.id = {R}.dataset_id)"
PROJECT_OF = {
    "organisation": "NULL",
    "disease-area": "NULL",
    "project": "{R}.id",
    "dataset": "{R}.project_id",
    "dataset-file": _DATASET_PROJECT,
    "protocol": "{R}.project_id",
    "protocol-version": (
        "(SELECT p.project_id FROM documents_protocol p WHERE p.id = {R}.protocol_id)"
    ),
    "milestone": "{R}.project_id",
    "deliverable": "{R}.project_id",
    "access-request": _DATASET_PROJECT,
    "grant": _DATASET_PROJECT,
    "notification": "{R}.project_id",
}


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


def _children(project_ids: str) -> list[tuple[str, str]]:
    """(resource, SELECT id, project_id) for everything whose visibility follows a project."""
    return [
        (
            "dataset",
            f"SELECT x.id, x.project_id FROM datasets_dataset x WHERE x.project_id IN ({project_ids})",
        ),
        (
            "dataset-file",
            "SELECT x.id, d.project_id FROM datasets_datasetfile x "
            f"JOIN datasets_dataset d ON d.id = x.dataset_id WHERE d.project_id IN ({project_ids})",
        ),
        (
            "protocol",
            f"SELECT x.id, x.project_id FROM documents_protocol x WHERE x.project_id IN ({project_ids})",
        ),
        (
            "protocol-version",
            "SELECT x.id, p.project_id FROM documents_protocolversion x "
            f"JOIN documents_protocol p ON p.id = x.protocol_id WHERE p.project_id IN ({project_ids})",
        ),
        (
            "milestone",
            f"SELECT x.id, x.project_id FROM milestones_milestone x WHERE x.project_id IN ({project_ids})",
        ),
        (
            "deliverable",
            f"SELECT x.id, x.project_id FROM milestones_deliverable x WHERE x.project_id IN ({project_ids})",
        ),
    ]


def project_items(project_ids: str, *, user="NULL", organisation="NULL", projects=True, **kw):
    """Entries for the projects (SQL list of ids) and every item whose visibility follows them."""
    emits = []
    if projects:
        source = f"SELECT x.id, x.id FROM projects_project x WHERE x.id IN ({project_ids})"
        emits.append(Emit("project", source, user, organisation, **kw))
    emits += [Emit(r, source, user, organisation, **kw) for r, source in _children(project_ids)]
    return emits


def registered_tier_items(*, user="NULL", organisation="NULL", **kw) -> list[Emit]:
    """Items shown to anyone with an approved affiliation: gained or lost with the last one."""
    return [
        Emit(
            "dataset",
            "SELECT x.id, x.project_id FROM datasets_dataset x WHERE x.access_tier = 'registered'",
            user,
            organisation,
            **kw,
        ),
        Emit(
            "dataset-file",
            "SELECT x.id, d.project_id FROM datasets_datasetfile x JOIN datasets_dataset d "
            "ON d.id = x.dataset_id WHERE d.access_tier = 'registered'",
            user,
            organisation,
            **kw,
        ),
        Emit(
            "protocol",
            "SELECT x.id, x.project_id FROM documents_protocol x WHERE x.access_tier = 'registered'",
            user,
            organisation,
            **kw,
        ),
        Emit(
            "protocol-version",
            "SELECT x.id, p.project_id FROM documents_protocolversion x JOIN documents_protocol p "
            "ON p.id = x.protocol_id WHERE p.access_tier = 'registered'",
            user,
            organisation,
            **kw,
        ),
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
    source = f"SELECT {{R}}.id, {PROJECT_OF[resource]}"
    return Emit(resource, source, user=user, tombstone_on_delete=True)


_ORG_PROJECTS = "SELECT pa.project_id FROM projects_partner pa WHERE pa.organisation_id = {R}.id"
_STATE_CHANGE = ("UPDATE",)


def _captures() -> list[Capture]:
    by_label = {label: Capture(label, [_primary(r)]) for r, label in SYNCABLE.items()}
    on_update = {"events": _STATE_CHANGE}
    # A project's status or summary visibility decides who sees everything in it.
    by_label["projects.Project"].emits.extend(
        Emit(
            e.resource,
            e.source + " AND ({changed:status} OR {changed:summary_visibility})",
            events=_STATE_CHANGE,
        )
        for e in project_items("{R}.id", projects=False)
    )
    # Tier or status changes reach the files and versions, whose visibility follows them.
    by_label["datasets.Dataset"].emits.append(
        Emit(
            "dataset-file",
            "SELECT x.id, {R}.project_id FROM datasets_datasetfile x WHERE x.dataset_id = {R}.id",
            **on_update,
        )
    )
    by_label["documents.Protocol"].emits.append(
        Emit(
            "protocol-version",
            "SELECT x.id, {R}.project_id FROM documents_protocolversion x WHERE x.protocol_id = {R}.id",
            **on_update,
        )
    )
    # An organisation approved or suspended: its people gain or lose what came through it.
    suspended = " AND {changed:status}"
    org = "{R}.id"
    organisation_emits = [
        *project_items(_ORG_PROJECTS, organisation=org, **on_update),
        *registered_tier_items(organisation=org, **on_update),
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
            [Emit("project", project_row), *project_items("{R}.project_id", user="{R}.user_id")],
        ),
        Capture(
            "projects.Partner",
            [
                Emit("project", project_row),
                *project_items("{R}.project_id", organisation="{R}.organisation_id"),
            ],
        ),
        Capture("projects.Biomarker", [Emit("project", project_row)]),
        Capture(
            "organisations.Affiliation",
            [
                Emit("organisation", "SELECT {R}.organisation_id, NULL", user="{R}.user_id"),
                *project_items(
                    "SELECT pa.project_id FROM projects_partner pa WHERE pa.organisation_id = {R}.organisation_id",
                    user="{R}.user_id",
                ),
                *registered_tier_items(user="{R}.user_id"),
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
        Capture(
            "datasets.Dataset.allowed_organisations",
            [
                Emit(
                    "dataset",
                    "SELECT {R}.dataset_id, " + _DATASET_PROJECT,
                    events=("INSERT", "DELETE"),
                ),
                Emit(
                    "dataset-file",
                    "SELECT x.id, "
                    + _DATASET_PROJECT
                    + " FROM datasets_datasetfile x WHERE x.dataset_id = {R}.dataset_id",
                    events=("INSERT", "DELETE"),
                ),
            ],
        ),
        Capture(
            "documents.Protocol.allowed_organisations",
            [
                Emit(
                    "protocol",
                    "SELECT {R}.protocol_id, (SELECT p.project_id FROM documents_protocol p WHERE p.id = {R}.protocol_id)",
                    events=("INSERT", "DELETE"),
                ),
                Emit(
                    "protocol-version",
                    "SELECT x.id, (SELECT p.project_id FROM documents_protocol p WHERE p.id = {R}.protocol_id) "
                    "FROM documents_protocolversion x WHERE x.protocol_id = {R}.protocol_id",
                    events=("INSERT", "DELETE"),
                ),
            ],
        ),
        Capture(
            "projects.Project.disease_areas",
            [Emit("project", project_row, events=("INSERT", "DELETE"))],
        ),
    ]


def _and(source: str, condition: str) -> str:
    """Add a condition to a SELECT that may or may not have a WHERE yet."""
    return source + (condition if " WHERE " in source else " WHERE 1 = 1" + condition)


CAPTURES = _captures()
