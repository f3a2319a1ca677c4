"""The change feed: writing entries (signal receivers) and reading them for one caller.

Why signals here, when STYLE.md keeps domain rules out of them: this is infrastructure, like
the audit trail's storage, not a domain rule. A receiver on post_save / post_delete /
m2m_changed runs inside the writer's transaction, so its entry commits or rolls back with the
change, and no service (today's or one written next year) can forget to record a change. The
receivers only note "this row (or these rows, for this audience) may look different now";
what a given partner gets for it is decided when the feed is read (`feed_page`).

Writes that bypass signals (`QuerySet.update()`, `bulk_create`) must call `record_upserts`
themselves; the API does so for the notification "mark read" services.

Visibility changes that come from another row (a membership ending, a partner leaving, an
organisation suspended, a grant revoked, a project withdrawn, a tier tightened) are "fanned
out": entries for every item whose visibility may have changed, addressed to the person or
organisation concerned, so that a replaying partner receives a tombstone for each.
"""

import re
from collections import OrderedDict

from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.db.models.signals import m2m_changed, post_delete, post_init, post_save

from apps.api.models import ChangeEntry

# resource name → model label; the views that render each are in apps.api.urls (RESOURCES).
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
PROJECT_STATE_FIELDS = ("status", "summary_visibility")
ORGANISATION_STATE_FIELDS = ("status",)


def _models():
    from django.apps import apps

    return {name: apps.get_model(label) for name, label in SYNCABLE.items()}


def resource_of(model) -> str | None:
    label = model._meta.label
    for name, model_label in SYNCABLE.items():
        if model_label == label:
            return name
    return None


def _project_id(instance):
    """The project an entry belongs to, for filtering and fan-out (None when it has none)."""
    for path in ("project_id", "dataset.project_id", "protocol.project_id"):
        obj = instance
        try:
            for part in path.split("."):
                obj = getattr(obj, part)
        except AttributeError:
            continue
        return obj
    return None


# --- Writing -------------------------------------------------------------------------------------
def _entry(
    resource: str, pk, *, kind=ChangeEntry.Kind.UPSERT, project_id=None, user=None, org=None
):
    return ChangeEntry(
        resource=resource,
        object_id=pk,
        kind=kind,
        project_id=project_id,
        audience_user_id=user,
        audience_organisation_id=org,
    )


def _write(entries: list[ChangeEntry]) -> None:
    if entries:
        ChangeEntry.objects.bulk_create(entries, batch_size=500)
        _kick_webhooks_on_commit()


def record_upserts(model, pks, *, user=None, org=None, users=None) -> None:
    """Note that rows of `model` changed without a save signal (e.g. a queryset update or
    `bulk_create`). `users`, parallel to `pks`, addresses each entry to one person (a
    notification to its recipient) instead of `user` for all."""
    resource = resource_of(model)
    pks = list(pks)
    people = list(users) if users is not None else [user] * len(pks)
    _write(
        [_entry(resource, pk, user=person, org=org) for pk, person in zip(pks, people, strict=True)]
    )


def _project_items(project_ids, *, user=None, org=None, include_projects=True) -> list:
    """Entries for the projects and everything whose visibility follows them."""
    models = _models()
    project_ids = list(project_ids)
    if not project_ids:
        return []
    entries = []
    if include_projects:
        entries += [_entry("project", pk, project_id=pk, user=user, org=org) for pk in project_ids]
    children = (
        ("dataset", models["dataset"].objects.filter(project_id__in=project_ids), "project_id"),
        (
            "dataset-file",
            models["dataset-file"].objects.filter(dataset__project_id__in=project_ids),
            "dataset__project_id",
        ),
        ("protocol", models["protocol"].objects.filter(project_id__in=project_ids), "project_id"),
        (
            "protocol-version",
            models["protocol-version"].objects.filter(protocol__project_id__in=project_ids),
            "protocol__project_id",
        ),
        ("milestone", models["milestone"].objects.filter(project_id__in=project_ids), "project_id"),
        (
            "deliverable",
            models["deliverable"].objects.filter(project_id__in=project_ids),
            "project_id",
        ),
    )
    for resource, queryset, project_field in children:
        entries += [
            _entry(resource, pk, project_id=project, user=user, org=org)
            for pk, project in queryset.values_list("pk", project_field)
        ]
    return entries


def _registered_tier_items(*, user=None, org=None) -> list:
    """Items shown to anyone with an approved affiliation: gained or lost with the last one."""
    from apps.core.models import AccessTier

    models = _models()
    registered = Q(access_tier=AccessTier.REGISTERED)
    entries = []
    for resource, child, child_field in (
        ("dataset", "dataset-file", "dataset"),
        ("protocol", "protocol-version", "protocol"),
    ):
        for pk, project in (
            models[resource].objects.filter(registered).values_list("pk", "project_id")
        ):
            entries.append(_entry(resource, pk, project_id=project, user=user, org=org))
        children = models[child].objects.filter(**{f"{child_field}__access_tier": "registered"})
        entries += [
            _entry(child, pk, user=user, org=org) for pk in children.values_list("pk", flat=True)
        ]
    return entries


def _organisation_projects(organisation_id) -> list:
    from apps.projects.models import Partner

    return list(
        Partner.objects.filter(organisation_id=organisation_id)
        .values_list("project_id", flat=True)
        .distinct()
    )


def _on_save(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    resource = resource_of(sender)
    # A notification concerns its recipient only: no one else is sent even its tombstone.
    person = instance.recipient_id if resource == "notification" else None
    entries = [_entry(resource, instance.pk, project_id=_project_id(instance), user=person)]
    entries += _fan_out_for(resource, instance, created=created)
    _write(entries)


def _on_delete(sender, instance, **kwargs):
    resource = resource_of(sender)
    _write(
        [
            _entry(
                resource,
                instance.pk,
                kind=ChangeEntry.Kind.TOMBSTONE,
                project_id=_project_id(instance),
            )
        ]
    )


def _changed(instance, fields) -> bool:
    before = getattr(instance, "_api_state", None)
    return before is None or before != tuple(getattr(instance, f) for f in fields)


def _remember_state(fields):
    def receiver(sender, instance, **kwargs):
        instance._api_state = tuple(instance.__dict__.get(f) for f in fields)

    return receiver


def _fan_out_for(resource: str, instance, *, created: bool) -> list:
    if resource == "project" and not created and _changed(instance, PROJECT_STATE_FIELDS):
        instance._api_state = tuple(getattr(instance, f) for f in PROJECT_STATE_FIELDS)
        return _project_items([instance.pk], include_projects=False)
    if resource == "dataset" and not created:
        # Tier or status changes reach the files, whose visibility follows the dataset.
        return [
            _entry("dataset-file", pk, project_id=instance.project_id)
            for pk in instance.files.values_list("pk", flat=True)
        ]
    if resource == "protocol" and not created:
        return [
            _entry("protocol-version", pk, project_id=instance.project_id)
            for pk in instance.versions.values_list("pk", flat=True)
        ]
    if resource == "organisation" and not created and _changed(instance, ORGANISATION_STATE_FIELDS):
        instance._api_state = tuple(getattr(instance, f) for f in ORGANISATION_STATE_FIELDS)
        return _organisation_fan_out(instance.pk)
    if resource == "grant":
        return _grant_fan_out(instance)
    return []


def _organisation_fan_out(organisation_id) -> list:
    from apps.access.models import AccessGrant

    org = organisation_id
    entries = _project_items(_organisation_projects(org), org=org)
    entries += _registered_tier_items(org=org)
    for grant_pk, dataset_pk, user_pk in AccessGrant.objects.filter(
        organisation_id=org
    ).values_list("pk", "dataset_id", "user_id"):
        entries.append(_entry("grant", grant_pk, org=org))
        entries += _dataset_for_user(dataset_pk, user_pk)
    return entries


def _dataset_for_user(dataset_pk, user_pk) -> list:
    models = _models()
    entries = [_entry("dataset", dataset_pk, user=user_pk)]
    files = (
        models["dataset-file"].objects.filter(dataset_id=dataset_pk).values_list("pk", flat=True)
    )
    return entries + [_entry("dataset-file", pk, user=user_pk) for pk in files]


def _grant_fan_out(grant) -> list:
    """A grant opens (or, revoked, suspended or expired, closes) its dataset to its holder."""
    return _dataset_for_user(grant.dataset_id, grant.user_id)


def _project_shown_changed(project_id) -> list:
    """The project's own representation lists its partners, members and biomarkers: a change
    to one is a project upsert for everyone who sees it."""
    return [_entry("project", project_id, project_id=project_id)]


def _on_membership(sender, instance, raw=False, **kwargs):
    if raw:
        return
    entries = _project_shown_changed(instance.project_id)
    _write(entries + _project_items([instance.project_id], user=instance.user_id))


def _on_partner(sender, instance, raw=False, **kwargs):
    if raw:
        return
    entries = _project_shown_changed(instance.project_id)
    _write(entries + _project_items([instance.project_id], org=instance.organisation_id))


def _on_project_part(sender, instance, raw=False, **kwargs):
    if raw:
        return
    _write(_project_shown_changed(instance.project_id))


def _on_affiliation(sender, instance, raw=False, **kwargs):
    if raw:
        return
    user = instance.user_id
    entries = [_entry("organisation", instance.organisation_id, user=user)]
    entries += _project_items(_organisation_projects(instance.organisation_id), user=user)
    entries += _registered_tier_items(user=user)
    _write(entries)


def _on_committee_member(sender, instance, raw=False, **kwargs):
    if raw:
        return
    from apps.access.models import AccessRequest

    requests = AccessRequest.objects.filter(dataset__project__committee=instance.committee_id)
    _write(
        [
            _entry("access-request", pk, user=instance.user_id)
            for pk in requests.values_list("pk", flat=True)
        ]
    )


def _on_m2m(sender, instance, action, reverse, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear") or reverse:
        return
    resource = resource_of(type(instance))
    entries = [_entry(resource, instance.pk, project_id=_project_id(instance))]
    entries += _fan_out_for(resource, instance, created=False)
    _write(entries)


def connect() -> None:
    """Called from ApiConfig.ready()."""
    from django.apps import apps

    for model in _models().values():
        uid = f"api-changes-{model._meta.label}"
        post_save.connect(_on_save, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_on_delete, sender=model, dispatch_uid=f"{uid}-delete")
    models = _models()
    post_init.connect(
        _remember_state(PROJECT_STATE_FIELDS),
        sender=models["project"],
        weak=False,
        dispatch_uid="api-changes-project-init",
    )
    post_init.connect(
        _remember_state(ORGANISATION_STATE_FIELDS),
        sender=models["organisation"],
        weak=False,
        dispatch_uid="api-changes-organisation-init",
    )
    for m2m in (
        models["dataset"].allowed_organisations.through,
        models["protocol"].allowed_organisations.through,
        models["project"].disease_areas.through,
    ):
        m2m_changed.connect(_on_m2m, sender=m2m, dispatch_uid=f"api-changes-m2m-{m2m._meta.label}")
    for label, receiver in (
        ("projects.Membership", _on_membership),
        ("projects.Partner", _on_partner),
        ("projects.Biomarker", _on_project_part),
        ("organisations.Affiliation", _on_affiliation),
        ("access.CommitteeMember", _on_committee_member),
    ):
        model = apps.get_model(label)
        post_save.connect(receiver, sender=model, dispatch_uid=f"api-changes-{label}-save")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"api-changes-{label}-delete")


# --- Webhook kick ----------------------------------------------------------------------------------
def _kick_webhooks_on_commit() -> None:
    """Once per transaction, after commit, ask the webhook dispatcher to push new entries."""
    # `run_on_commit` holds (savepoint ids, callback, robust) tuples: skip a second kick.
    if any(item[1] is _kick for item in connection.run_on_commit):
        return
    transaction.on_commit(_kick, robust=True)


def _kick() -> None:
    from apps.api.webhooks import webhooks_kick

    webhooks_kick()


# --- Reading -------------------------------------------------------------------------------------
CURSOR_PATTERN = re.compile(r"[0-9]{1,19}\.[0-9]{1,19}")


class BadCursor(ValueError):
    pass


def cursor_encode(txid: int, pk: int) -> str:
    return f"{txid}.{pk}"


def cursor_decode(value: str) -> tuple[int, int]:
    if not CURSOR_PATTERN.fullmatch(value):
        raise BadCursor(value)
    txid, pk = value.split(".")
    return int(txid), int(pk)


# The oldest transaction *of this database* still running (its id as xid8), else the snapshot's
# xmax. Transactions of other databases on the cluster are ignored (they never write here), so
# a long transaction elsewhere cannot stall the feed. pg_stat_activity shows 32-bit xids; the
# snapshot's in-progress list has the epoch-extended ones, matched on their low 32 bits.
SETTLED_BOUND_SQL = """
SELECT COALESCE(
    (SELECT min(x::text::bigint) FROM pg_snapshot_xip(pg_current_snapshot()) AS x
      WHERE (x::text::bigint % 4294967296) IN (
        SELECT backend_xid::text::bigint FROM pg_stat_activity
         WHERE datname = current_database() AND backend_xid IS NOT NULL)),
    pg_snapshot_xmax(pg_current_snapshot())::text::bigint),
  pg_current_xact_id_if_assigned()::text::bigint
"""


def _settled_filter() -> Q:
    """Entries whose transactions, and every transaction that could still write an entry
    before them, have finished; our own transaction's entries are visible to us too."""
    if connection.vendor != "postgresql":
        return Q()
    with connection.cursor() as cursor:
        cursor.execute(SETTLED_BOUND_SQL)
        bound, own = cursor.fetchone()
    settled = Q(txid__lt=bound)
    if own is not None:
        settled |= Q(txid=own)
    return settled


def audience_filter(user) -> Q:
    everyone = Q(audience_user_id__isnull=True, audience_organisation_id__isnull=True)
    if not getattr(user, "is_authenticated", False):
        return everyone
    from apps.organisations.models import Affiliation

    organisations = Affiliation.objects.filter(user_id=user.pk).values("organisation_id")
    return everyone | Q(audience_user_id=user.pk) | Q(audience_organisation_id__in=organisations)


def head_cursor() -> str:
    """The cursor of the newest settled entry: where a fresh full sync starts following."""
    last = (
        ChangeEntry.objects.annotate(seq=Coalesce("txid", 0))
        .filter(_settled_filter())
        .order_by("-seq", "-id")
        .values_list("seq", "id")
        .first()
    )
    return cursor_encode(*last) if last else cursor_encode(0, 0)


def entries_after(user, after: tuple[int, int], limit: int) -> list[ChangeEntry]:
    txid, pk = after
    return list(
        ChangeEntry.objects.annotate(seq=Coalesce("txid", 0))
        .filter(_settled_filter())
        .filter(Q(seq__gt=txid) | Q(seq=txid, id__gt=pk))
        .filter(audience_filter(user))
        .order_by("seq", "id")[:limit]
    )


def latest_per_object(entries) -> "OrderedDict":
    """Keep each object's last entry in the page (its current state is what is sent)."""
    latest: OrderedDict = OrderedDict()
    for entry in entries:
        key = (entry.resource, entry.object_id)
        latest.pop(key, None)
        latest[key] = entry
    return latest
