"""Writes for protocols and their versions: the shared writes of items and versions
(`apps.items.services`) with the protocol's rules — a new version is announced to the project
when it is approved.

A version is immutable once approved: only the approval of a later version may touch it, and
only to mark it superseded. The services refuse everything else, the admin is read-only for
such rows, and on PostgreSQL a trigger (migration 0002) refuses it in the database too.
"""

from functools import partial

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


def protocol_create(*, project, actor, **fields) -> Protocol:
    """A protocol with no versions yet (`items.item_create`: title, description, access_tier,
    allowed_organisations, request); the caller checked Action.CONTRIBUTE on the project."""
    return items.item_create(WRITES, project=project, actor=actor, **fields)


def protocol_update(*, protocol, actor, **changes) -> Protocol:
    """`items.item_update`: `allowed_organisations=None` keeps the named organisations."""
    return items.item_update(WRITES, item=protocol, actor=actor, **changes)


def protocol_version_add(*, protocol, **arguments) -> ProtocolVersion:
    """A new draft version (`items.version_add`: actor, upload, change_note, request)."""
    return items.version_add(WRITES, item=protocol, **arguments)


# The other writes, bound to protocols: approving a version announces it to the project.
protocol_create_with_first_version = partial(items.item_create_with_first_version, WRITES)
protocol_version_update = partial(items.version_update, WRITES)
protocol_version_delete = partial(items.version_delete, WRITES)
protocol_version_approve = partial(items.version_approve, WRITES)
protocol_version_record_download = partial(items.version_record_download, WRITES)
