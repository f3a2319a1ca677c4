"""Writes every shared kind has: an item created and edited under its tier, and — for kinds
with versions — a numbered draft added, edited, deleted, approved (superseding the approved
one) and downloaded. One transition a function, audited inside it, as every service.

A kind's services module keeps its public, typed functions (`protocol_create`,
`analysis_version_add`, …) and calls these with its `ItemWrites`. Versions are immutable once
approved: only the approval of a later version may touch one, and only to mark it superseded.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from apps.access.tiers import tier_validate
from apps.audit.services import audit_record
from apps.core.kinds import SharedKind
from apps.core.shared_items import ItemVersion, SharedItem, VersionStatus
from apps.core.uploads import (
    delete_stored_file_on_commit,
    inspect_upload,
    store_protected_file,
    stored_file_rollback,
)
from apps.notifications.services import notification_emit
from apps.projects.models import Membership

Status = VersionStatus


@dataclass(frozen=True)
class ItemWrites:
    """What the shared writes need to know of one kind."""

    kind: SharedKind  # its name prefixes the audit actions ("protocol.create")
    model: type[SharedItem]
    editable: tuple[str, ...]  # the fields `item_update` may change
    steward_field: str = ""  # an organisation responsible for the item, checked with the tier
    created_state: str = ""  # the state a new item starts in, for kinds with states (audited)
    version_model: type[ItemVersion] | None = None
    version_event: str = ""  # the notification event telling the project of a new version
    announce_on: str = "approve"  # when: "approve" (the approved version) or "add" (any draft)
    # For a kind whose versions cite inputs: `citing(actor, change_note, **inputs)` checks them
    # (before anything is stored) and returns `cite(version)`, which links them once saved and
    # returns what the audit event records of them.
    citing: Callable[..., Callable[[ItemVersion], dict]] | None = None
    # Text formats a version may be besides every kind's (extension, content type).
    upload_types: tuple[tuple[str, str], ...] = ()


def item_audit(writes: ItemWrites, item, action: str, *, actor, target=None, request=None, **extra):
    """An audit event about `item` (or its `target` file or version), in the item's project
    (and its steward's organisation, for kinds with one)."""
    steward = getattr(item, f"{writes.steward_field}_id") if writes.steward_field else None
    return audit_record(
        actor=actor,
        action=f"{writes.kind.name}.{action}",
        target=target or item,
        request=request,
        project_id=item.project_id,
        organisation_id=steward,
        **extra,
    )


def _named_organisations(writes, *, project, access_tier, allowed_organisations, steward) -> list:
    return tier_validate(
        kind=writes.kind,
        project=project,
        access_tier=access_tier,
        allowed_organisations=allowed_organisations,
        steward_organisation=steward,
    )


def _only_editable(writes: ItemWrites, fields: dict, service: str) -> None:
    unknown = set(fields) - set(writes.editable)
    if unknown:
        raise TypeError(f"{writes.kind.name}_{service} cannot set {', '.join(sorted(unknown))}")


@transaction.atomic
def item_create(
    writes: ItemWrites,
    *,
    project,
    actor,
    allowed_organisations=(),
    request=None,
    audit=None,
    **fields,
):
    """A new item in `project` with `fields` (editable ones; the model's defaults for the
    rest), whose tier and named organisations are checked against the project. The caller
    checked Action.CONTRIBUTE on the project. `audit`: more of the create event."""
    _only_editable(writes, fields, "create")
    item = writes.model(project=project, created_by=actor, **fields)
    named = _named_organisations(
        writes,
        project=project,
        access_tier=item.access_tier,
        allowed_organisations=allowed_organisations,
        steward=fields.get(writes.steward_field),
    )
    item.full_clean()
    item.save()
    item.allowed_organisations.set(named)
    state = writes.created_state
    item_audit(writes, item, "create", actor=actor, request=request, to_state=state)
    return item


@transaction.atomic
def item_update(
    writes: ItemWrites, *, item, actor, allowed_organisations=None, request=None, **changes
):
    """Change the item's editable fields (the caller checked Action.EDIT on it).
    `allowed_organisations=None` keeps the named organisations; a list replaces them."""
    _only_editable(writes, changes, "update")
    item = writes.model.objects.select_for_update().get(pk=item.pk)
    before = {field: str(getattr(item, field)) for field in changes}
    for field, value in changes.items():
        setattr(item, field, value)
    if allowed_organisations is None:
        allowed_organisations = list(item.allowed_organisations.all())
    named = _named_organisations(
        writes,
        project=item.project,
        access_tier=item.access_tier,
        allowed_organisations=allowed_organisations,
        steward=getattr(item, writes.steward_field) if writes.steward_field else None,
    )
    item.full_clean()
    item.save()
    item.allowed_organisations.set(named)
    after = {field: str(getattr(item, field)) for field in changes}
    changed = {
        field: [before[field], after[field]] for field in changes if before[field] != after[field]
    }
    details = {"fields": sorted(changes), "changed": changed}
    item_audit(writes, item, "update", actor=actor, request=request, details=details)
    return item


# --- versions ------------------------------------------------------------------------------------
def required_change_note(change_note: str) -> str:
    if not change_note.strip():
        raise ValidationError({"change_note": "Say what changed in this version."})
    return change_note.strip()


def _version_moved(writes, item, version, action: str, states, actor, request, **details):
    """The audit event of a version's transition (`states`: from, to; "" for none), naming
    its number and `details`."""
    from_state, to_state = states
    item_audit(
        writes,
        item,
        action,
        target=version,
        actor=actor,
        request=request,
        from_state=from_state,
        to_state=to_state,
        details={"number": version.number, **details},
    )


def version_add(
    writes: ItemWrites, *, item, actor, upload, change_note: str, request=None, **inputs
):
    """A new draft version with the next number, citing `inputs` (kinds with `citing`). The
    item row is locked while the number is chosen, so two uploads at once get consecutive
    numbers (the unique constraint backs it up); the stored file is deleted if anything
    fails."""
    note = required_change_note(change_note)
    cite = writes.citing(actor, note, **inputs) if writes.citing else None
    inspected = inspect_upload(upload, more_text_types=writes.upload_types)
    item_field = writes.version_model.item_field
    version = writes.version_model(**{item_field: item}, created_by=actor, change_note=note)
    with stored_file_rollback(version), transaction.atomic():
        # The path is the row id, not the number: store first, lock only to pick the number.
        store_protected_file(version, upload, inspected)
        writes.model.objects.select_for_update().filter(pk=item.pk).first()
        numbered = item.versions.system(
            f"numbering follows every version of the {writes.kind.name}"
        )
        version.number = (numbered.aggregate(latest=Max("number"))["latest"] or 0) + 1
        version.full_clean()
        version.save()
        details = {"sha256": version.sha256, "size": version.size}
        details |= cite(version) if cite else {}
        _version_moved(
            writes, item, version, "version.add", ("", Status.DRAFT), actor, request, **details
        )
        if writes.announce_on == "add":
            _announce_version(writes, version, item, actor)
    return version


def item_create_with_first_version(
    writes: ItemWrites, *, project, actor, upload, change_note: str, request=None, **fields
):
    """The item and its first draft version together: neither exists without the other.
    `fields`: the item's (`item_create`) and the version's inputs (kinds with `citing`)."""
    item_fields = {*writes.editable, "allowed_organisations"}
    inputs = {name: fields.pop(name) for name in list(fields) if name not in item_fields}
    with transaction.atomic():
        item = item_create(writes, project=project, actor=actor, request=request, **fields)
        version_add(
            writes,
            item=item,
            actor=actor,
            upload=upload,
            change_note=change_note,
            request=request,
            **inputs,
        )
    return item


def _locked_draft(writes: ItemWrites, version):
    locked = writes.version_model.objects.select_for_update().get(pk=version.pk)
    if locked.status != Status.DRAFT:
        raise ValidationError(
            f"Version {locked.number} is {locked.get_status_display().lower()} and cannot be "
            "changed; upload a new version instead."
        )
    return locked


@transaction.atomic
def version_update(writes: ItemWrites, *, version, actor, change_note: str, request=None):
    """Only a draft's change note can change; approved and superseded versions are immutable."""
    locked = _locked_draft(writes, version)
    locked.change_note = required_change_note(change_note)
    locked.full_clean()
    locked.save(update_fields=["change_note", "updated_at"])
    item_audit(writes, locked.item, "version.update", target=locked, actor=actor, request=request)
    return locked


@transaction.atomic
def version_delete(writes: ItemWrites, *, version, actor, request=None) -> None:
    """Delete a draft (never an approved or superseded version); the file goes after commit."""
    locked = _locked_draft(writes, version)
    moved = (Status.DRAFT, "")
    _version_moved(
        writes, locked.item, locked, "version.delete", moved, actor, request, sha256=locked.sha256
    )
    delete_stored_file_on_commit(locked.file)
    locked.delete()


@transaction.atomic
def version_approve(writes: ItemWrites, *, version, actor, request=None):
    """Draft → approved; the previously approved version becomes superseded in the same
    transaction. The caller checked Action.MANAGE on the project (coordinators approve)."""
    item_field = writes.version_model.item_field
    item = (
        writes.model.objects.select_for_update().select_related("project").get(pk=version.item_id)
    )
    locked = _locked_draft(writes, version)
    previous = list(
        writes.version_model.objects.select_for_update().filter(
            **{item_field: item, "status": Status.APPROVED}
        )
    )
    for old in previous:
        if old.number > locked.number:
            raise ValidationError(
                f"Version {old.number} is already approved; an older draft cannot replace it."
            )
    for old in previous:
        old.status = Status.SUPERSEDED
        old.save(update_fields=["status", "updated_at"])
        moved = (Status.APPROVED, Status.SUPERSEDED)
        _version_moved(
            writes,
            item,
            old,
            "version.supersede",
            moved,
            actor,
            request,
            superseded_by=locked.number,
        )
    locked.status = Status.APPROVED
    locked.approved_by = actor
    locked.approved_at = timezone.now()
    locked.full_clean()
    locked.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    moved = (Status.DRAFT, Status.APPROVED)
    _version_moved(
        writes, item, locked, "version.approve", moved, actor, request, sha256=locked.sha256
    )
    if writes.announce_on == "approve":
        _announce_version(writes, locked, item, actor)
    return locked


def _announce_version(writes: ItemWrites, version, item, actor) -> None:
    """Tell the project's current members (not the author). The notice's target is the item,
    so it shows only to those who may see it (`policy.notifications`)."""
    members = (
        Membership.objects.current()
        .filter(project_id=item.project_id)
        .exclude(user_id=actor.pk)
        .select_related("user")
        .system("whom to tell; each notice is shown only where its target's rule allows")
    )
    notification_emit(
        event_type=writes.version_event,
        recipients=[membership.user for membership in members],
        subject=f"New {writes.kind.label.lower()} version in {item.project.acronym}: "
        f"{item.title} v{version.number}",
        body=version.change_note,
        url=item.get_absolute_url(),
        target=item,
        project=item.project,
    )


def record_download(writes: ItemWrites, *, stored, actor, request=None) -> None:
    """The audit event of one download of a version or an item's file."""
    if isinstance(stored, ItemVersion):
        version_record_download(writes, version=stored, actor=actor, request=request)
    else:
        file_record_download(writes, file=stored, actor=actor, request=request)


def version_record_download(writes: ItemWrites, *, version, actor, request=None) -> None:
    """The audit event of one download of a version, written before the body is sent."""
    _record_download(
        writes, version, "version.download", {"number": version.number}, actor, request
    )


def file_record_download(writes: ItemWrites, *, file, actor, request=None) -> None:
    """The audit event of one download of an item's file, written before the body is sent."""
    details = {f"{file.item_field}_id": str(file.item_id)}
    _record_download(writes, file, "file.download", details, actor, request)


@transaction.atomic
def _record_download(writes, stored, action: str, details: dict, actor, request) -> None:
    details = {**details, "sha256": stored.sha256, "size": stored.size}
    item_audit(
        writes, stored.item, action, target=stored, actor=actor, request=request, details=details
    )
