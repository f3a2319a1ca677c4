"""Writes for protocols and their versions: the shared writes of items and versions
(`apps.items.services`) with the protocol's rules — a new version is announced to the project
when it is approved.

A version is immutable once approved: only the approval of a later version may touch it, and
only to mark it superseded. The services refuse everything else, the admin is read-only for
such rows, and on PostgreSQL a trigger (migration 0002) refuses it in the database too.
"""

from django.db import transaction

from apps.core.models import AccessTier
from apps.documents.kind import PROTOCOL
from apps.documents.models import Protocol, ProtocolVersion
from apps.items import services as items
from apps.notifications.models import EventType

WRITES = items.ItemWrites(
    kind=PROTOCOL,
    model=Protocol,
    editable=("title", "description", "access_tier"),
    version_model=ProtocolVersion,
    version_event=EventType.PROTOCOL_VERSION,
    announce_on="approve",
)


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
    return items.item_create(
        WRITES,
        project=project,
        actor=actor,
        allowed_organisations=allowed_organisations,
        request=request,
        title=title,
        description=description,
        access_tier=access_tier,
    )


def protocol_update(*, protocol, actor, allowed_organisations=None, request=None, **changes):
    """`allowed_organisations=None` keeps the named organisations; a list replaces them."""
    return items.item_update(
        WRITES,
        item=protocol,
        actor=actor,
        allowed_organisations=allowed_organisations,
        request=request,
        **changes,
    )


def protocol_version_add(*, protocol, actor, upload, change_note: str, request=None):
    """A new draft version with the next number (`items.version_add`)."""
    return items.version_add(
        WRITES, item=protocol, actor=actor, upload=upload, change_note=change_note, request=request
    )


def protocol_version_update(*, version, actor, change_note: str, request=None):
    """Only a draft's change note can change; approved and superseded versions are immutable."""
    return items.version_update(
        WRITES, version=version, actor=actor, change_note=change_note, request=request
    )


def protocol_version_delete(*, version, actor, request=None) -> None:
    """Delete a draft (never an approved or superseded version); the file goes after commit."""
    items.version_delete(WRITES, version=version, actor=actor, request=request)


def protocol_version_approve(*, version, actor, request=None) -> ProtocolVersion:
    """Draft → approved, superseding the approved one; the project's members are told. The
    caller checked Action.MANAGE on the project (coordinators approve)."""
    return items.version_approve(WRITES, version=version, actor=actor, request=request)


def protocol_version_record_download(*, version, actor, request=None) -> None:
    """The audit event of one download, written before the body is sent."""
    items.record_download(WRITES, stored=version, actor=actor, request=request)


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
