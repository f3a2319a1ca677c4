"""Reads of protocols that only protocols have: the approved version of each, and the
comparison of two versions (the rest is `apps.items.selectors`)."""

import difflib

from django.template.defaultfilters import filesizeformat
from django.utils.formats import date_format
from django.utils.timezone import localtime

from apps.documents.models import Protocol, ProtocolVersion
from apps.items.selectors import items_visible_in_project


def protocols_visible_in_project(user, project, *, limit: int | None = None) -> list[Protocol]:
    """The project's protocols `user` may see (the first `limit`), each with its approved
    version's number (`approved_number`, None before the first approval)."""
    protocols = list(items_visible_in_project(user, Protocol, project)[:limit])
    approved = approved_version_numbers([protocol.pk for protocol in protocols])
    for protocol in protocols:
        protocol.approved_number = approved.get(protocol.pk)
    return protocols


def approved_version_numbers(protocol_ids) -> dict:
    """The approved version of each of these protocols, which the caller may see: an approved
    version is visible exactly when its protocol is (`protocol_version_view`)."""
    versions = ProtocolVersion.objects.system("approved versions of protocols the caller sees")
    rows = versions.filter(
        protocol_id__in=protocol_ids, status=ProtocolVersion.Status.APPROVED
    ).values_list("protocol_id", "number")
    return dict(rows)


# Bootstrap utility classes: the +/- prefix and the hidden "Added/Removed" text carry the meaning,
# colour only repeats it.
DIFF_CLASSES = {
    "file": "d-block fw-semibold",
    "hunk": "d-block text-body-secondary",
    "add": "d-block bg-success-subtle",
    "remove": "d-block bg-danger-subtle",
    "context": "d-block",
}


def _version_lines(version: ProtocolVersion) -> list[str]:
    approved = ""
    if version.approved_at:
        who = version.approved_by.display_name if version.approved_by else "a former user"
        approved = f"{date_format(localtime(version.approved_at), 'DATETIME_FORMAT')} by {who}"
    lines = [
        f"Status: {version.get_status_display()}",
        f"File name: {version.file_name}",
        f"Size: {version.size:,} bytes ({filesizeformat(version.size)})"
        if version.size >= 1024
        else f"Size: {version.size} bytes",
        f"Content type: {version.content_type}",
        f"SHA-256: {version.sha256}",
        f"Approved: {approved or '—'}",
        "Change note:",
    ]
    return lines + [f"  {line}" for line in (version.change_note or "—").splitlines()]


def protocol_version_diff(older: ProtocolVersion, newer: ProtocolVersion) -> list[dict]:
    """A unified diff of two versions' metadata and change notes, as rows for the template
    (which escapes them): each row has `kind` (add, remove, context, hunk) and `text`."""
    lines = difflib.unified_diff(
        _version_lines(older),
        _version_lines(newer),
        fromfile=f"Version {older.number}",
        tofile=f"Version {newer.number}",
        lineterm="",
        n=20,
    )
    rows = []
    for line in lines:
        if line.startswith(("---", "+++")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "remove"
        else:
            kind = "context"
        rows.append({"kind": kind, "text": line, "css": DIFF_CLASSES[kind]})
    return rows
