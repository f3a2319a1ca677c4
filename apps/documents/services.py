"""Writes for protocols and their versions.

A version is immutable once approved: only the approval of a later version may touch it, and
only to mark it superseded. The services refuse everything else, the admin is read-only for
such rows, and on PostgreSQL a trigger (migration 0002) refuses it in the database too.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from apps.access.tiers import PROTOCOL_TIERS, tier_validate
from apps.audit.services import audit_record
from apps.core.models import AccessTier
from apps.core.uploads import (
    delete_stored_file_on_commit,
    inspect_upload,
    store_protected_file,
    stored_file_rollback,
)
from apps.documents.models import Protocol, ProtocolVersion
from apps.notifications.models import EventType
from apps.notifications.services import notification_emit
from apps.projects.models import Membership

EDITABLE_FIELDS = ("title", "description", "access_tier")
Status = ProtocolVersion.Status


def _validate_tier(*, project, access_tier: str, allowed_organisations) -> list:
    return tier_validate(
        kind="Protocols",
        tiers=PROTOCOL_TIERS,
        project=project,
        access_tier=access_tier,
        allowed_organisations=allowed_organisations,
    )


def _audit(target, action: str, *, protocol, actor, request=None, **extra):
    return audit_record(
        actor=actor,
        action=action,
        target=target,
        request=request,
        project_id=protocol.project_id,
        **extra,
    )


@transaction.atomic
def protocol_create(
    *,
    project,
    actor,
    title: str,
    description: str = "",
    access_tier: str = AccessTier.CONSORTIUM,
    allowed_organisations=(),
    request=None,
) -> Protocol:
    """A protocol with no versions yet; the caller checked Action.CONTRIBUTE on the project."""
    named = _validate_tier(
        project=project, access_tier=access_tier, allowed_organisations=allowed_organisations
    )
    protocol = Protocol(
        project=project,
        title=title,
        description=description,
        access_tier=access_tier,
        created_by=actor,
    )
    protocol.full_clean()
    protocol.save()
    protocol.allowed_organisations.set(named)
    _audit(protocol, "protocol.create", protocol=protocol, actor=actor, request=request)
    return protocol


@transaction.atomic
def protocol_update(*, protocol, actor, allowed_organisations=None, request=None, **changes):
    """`allowed_organisations=None` keeps the named organisations; a list replaces them."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"protocol_update cannot change {', '.join(sorted(unknown))}")
    protocol = Protocol.objects.select_for_update().get(pk=protocol.pk)
    for field, value in changes.items():
        setattr(protocol, field, value)
    if allowed_organisations is None:
        allowed_organisations = list(protocol.allowed_organisations.all())
    named = _validate_tier(
        project=protocol.project,
        access_tier=protocol.access_tier,
        allowed_organisations=allowed_organisations,
    )
    protocol.full_clean()
    protocol.save()
    protocol.allowed_organisations.set(named)
    _audit(
        protocol,
        "protocol.update",
        protocol=protocol,
        actor=actor,
        request=request,
        details={"fields": sorted(changes)},
    )
    return protocol


def protocol_version_add(*, protocol, actor, upload, change_note: str, request=None):
    """A new draft version with the next number. The protocol row is locked while the number is
    chosen, so two uploads at once get consecutive numbers (the unique constraint backs it up);
    the stored file is deleted if anything fails."""
    if not change_note.strip():
        raise ValidationError({"change_note": "Say what changed in this version."})
    inspected = inspect_upload(upload)
    version = ProtocolVersion(protocol=protocol, created_by=actor, change_note=change_note.strip())
    with stored_file_rollback(version), transaction.atomic():
        # The path is the row id, not the number: store first, lock only to pick the number.
        store_protected_file(version, upload, inspected)
        Protocol.objects.select_for_update().filter(pk=protocol.pk).first()
        numbered = protocol.versions.system("numbering follows every version of the protocol")
        latest = numbered.aggregate(latest=Max("number"))["latest"] or 0
        version.number = latest + 1
        version.full_clean()
        version.save()
        _audit(
            version,
            "protocol.version.add",
            protocol=protocol,
            actor=actor,
            request=request,
            to_state=Status.DRAFT,
            details={"number": version.number, "sha256": version.sha256, "size": version.size},
        )
    return version


def _locked_draft(version) -> ProtocolVersion:
    locked = ProtocolVersion.objects.select_for_update().get(pk=version.pk)
    if locked.status != Status.DRAFT:
        raise ValidationError(
            f"Version {locked.number} is {locked.get_status_display().lower()} and cannot be "
            "changed; upload a new version instead."
        )
    return locked


@transaction.atomic
def protocol_version_update(*, version, actor, change_note: str, request=None):
    """Only a draft's change note can change; approved and superseded versions are immutable."""
    locked = _locked_draft(version)
    if not change_note.strip():
        raise ValidationError({"change_note": "Say what changed in this version."})
    locked.change_note = change_note.strip()
    locked.full_clean()
    locked.save(update_fields=["change_note", "updated_at"])
    _audit(
        locked, "protocol.version.update", protocol=locked.protocol, actor=actor, request=request
    )
    return locked


@transaction.atomic
def protocol_version_delete(*, version, actor, request=None) -> None:
    """Delete a draft (never an approved or superseded version); the file goes after commit."""
    locked = _locked_draft(version)
    _audit(
        locked,
        "protocol.version.delete",
        protocol=locked.protocol,
        actor=actor,
        request=request,
        from_state=Status.DRAFT,
        details={"number": locked.number, "sha256": locked.sha256},
    )
    delete_stored_file_on_commit(locked.file)
    locked.delete()


@transaction.atomic
def protocol_version_approve(*, version, actor, request=None) -> ProtocolVersion:
    """Draft → approved; the previously approved version becomes superseded in the same
    transaction. The caller checked Action.MANAGE on the project (coordinators approve)."""
    protocol = (
        Protocol.objects.select_for_update().select_related("project").get(pk=version.protocol_id)
    )
    locked = _locked_draft(version)
    previous = list(
        ProtocolVersion.objects.select_for_update().filter(
            protocol=protocol, status=Status.APPROVED
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
        _audit(
            old,
            "protocol.version.supersede",
            protocol=protocol,
            actor=actor,
            request=request,
            from_state=Status.APPROVED,
            to_state=Status.SUPERSEDED,
            details={"number": old.number, "superseded_by": locked.number},
        )
    locked.status = Status.APPROVED
    locked.approved_by = actor
    locked.approved_at = timezone.now()
    locked.full_clean()
    locked.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    _audit(
        locked,
        "protocol.version.approve",
        protocol=protocol,
        actor=actor,
        request=request,
        from_state=Status.DRAFT,
        to_state=Status.APPROVED,
        details={"number": locked.number, "sha256": locked.sha256},
    )
    _notify_new_version(locked, protocol, actor)
    return locked


def _notify_new_version(version, protocol, actor) -> None:
    members = (
        Membership.objects.current()
        .filter(project_id=protocol.project_id)
        .exclude(user_id=actor.pk)
        .select_related("user")
        .system("whom to tell; each notice is shown only where its target's rule allows")
    )
    notification_emit(
        event_type=EventType.PROTOCOL_VERSION,
        recipients=[membership.user for membership in members],
        subject=f"New protocol version in {protocol.project.acronym}: {protocol.title} "
        f"v{version.number}",
        body=version.change_note,
        url=reverse("documents:detail", kwargs={"pk": protocol.pk}),
        target=protocol,
        project=protocol.project,
    )


@transaction.atomic
def protocol_version_record_download(*, version, actor, request=None) -> None:
    """The audit event of one download, written before the body is sent."""
    _audit(
        version,
        "protocol.version.download",
        protocol=version.protocol,
        actor=actor,
        request=request,
        details={"number": version.number, "sha256": version.sha256, "size": version.size},
    )


def protocol_create_with_first_version(
    *, project, actor, upload, change_note: str, request=None, **fields
) -> Protocol:
    """The protocol and its first draft version together: neither exists without the other."""
    with transaction.atomic():
        protocol = protocol_create(project=project, actor=actor, request=request, **fields)
        protocol_version_add(
            protocol=protocol, actor=actor, upload=upload, change_note=change_note, request=request
        )
    return protocol
