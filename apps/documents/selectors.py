"""Reads for protocols and versions, through the policy module."""

import difflib

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.template.defaultfilters import filesizeformat
from django.utils.formats import date_format
from django.utils.timezone import localtime

from apps.access.policy import Action, get_for_user, visible
from apps.documents.models import Protocol, ProtocolVersion


def protocol_get_for_user(user, pk, *, action: str = Action.VIEW) -> Protocol:
    """404 when not visible; 403 when visible but `action` is refused."""
    return get_for_user(
        user, Protocol.objects.select_related("project", "created_by"), action=action, pk=pk
    )


def protocol_versions_for(user, protocol) -> QuerySet:
    """The versions of `protocol` that `user` may see (drafts only for editors), newest first."""
    versions = ProtocolVersion.objects.filter(protocol=protocol).select_related(
        "created_by", "approved_by"
    )
    return visible(user, versions).order_by("-number")


def protocol_version_get_for_user(user, protocol, number: int, *, action=Action.VIEW):
    versions = ProtocolVersion.objects.select_related("protocol__project")
    return get_for_user(user, versions, action=action, protocol=protocol, number=number)


def protocol_version_get_for_download(user, *, protocol_pk, number: int) -> ProtocolVersion:
    """The version when `user` may download it; otherwise 404 whatever the reason."""
    versions = ProtocolVersion.objects.select_related("protocol").filter(
        protocol_id=protocol_pk, number=number
    )
    version = visible(user, versions, Action.DOWNLOAD).first()
    if version is None:
        raise Http404("Not found")
    return version


def protocols_visible_in_project(user, project) -> QuerySet:
    """The project's protocols `user` may see, with their newest approved version number."""
    return (
        visible(user, Protocol.objects.filter(project=project))
        .annotate(
            version_count=Count("versions", filter=~Q(versions__status="draft")),
        )
        .order_by("title")
    )


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
