"""Documents the requester attaches to a request (#18): the ethics approval letter, the
research proposal and similar. Uploads stream through `apps.core.uploads` (hashed with SHA-256
on the way in, cut off past the upload limit, the type sniffed from the bytes, never trusted
from the client); requests take PDF and Office documents only, under their own smaller limit.
The file and its row are written in one transaction and the file is deleted if anything fails.
Downloads go through the policy (`request_document_view`) and are audited."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.defaultfilters import filesizeformat

from apps.access.exceptions import NotAllowed
from apps.access.models import DocumentKind, RequestDocument
from apps.access.policy import can
from apps.access.policy.committee_work import ATTACH_DOCUMENT
from apps.access.services.request_base import lock_request, request_audit
from apps.audit.services import audit_record
from apps.core.uploads import inspect_upload, store_protected_file, stored_file_rollback

DOCUMENT_TYPES = {
    "application/pdf": "PDF",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word (DOCX)",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel (XLSX)",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint (PPTX)",
    "text/plain": "plain text",
    "text/markdown": "Markdown",
}


def document_max_bytes() -> int:
    return min(
        getattr(settings, "STRATUM_REQUEST_DOCUMENT_MAX_BYTES", 20 * 1024 * 1024),
        settings.STRATUM_UPLOAD_MAX_BYTES,
    )


def accepted_document_types_text() -> str:
    return ", ".join(dict.fromkeys(DOCUMENT_TYPES.values()))


def _check_document(inspected) -> None:
    if inspected.content_type not in DOCUMENT_TYPES:
        raise ValidationError(
            f"Attach {accepted_document_types_text()} documents only.", code="file_type_refused"
        )
    if inspected.size > document_max_bytes():
        raise ValidationError(
            f"A document may be at most {filesizeformat(document_max_bytes())}.",
            code="file_too_large",
        )


def request_document_attach(*, access_request, actor, upload, kind: str, request=None):
    """Store one document on the request. Raises ValidationError for a refused file and
    NotAllowed when the actor may not attach to this request now."""
    if kind not in DocumentKind.values:
        raise ValidationError({"kind": "Say what kind of document this is."})
    inspected = inspect_upload(upload)
    _check_document(inspected)
    row = RequestDocument(request_id=access_request.pk, kind=kind, uploaded_by=actor)
    with stored_file_rollback(row), transaction.atomic():
        locked = lock_request(access_request)
        if not can(actor, ATTACH_DOCUMENT, locked):
            raise NotAllowed("You cannot add documents to this request now.")
        store_protected_file(row, upload, inspected)
        row.full_clean()
        row.save()
        request_audit(
            locked,
            actor=actor,
            action="request.document.attach",
            request=request,
            from_state=locked.status,
            details={
                "document": str(row.pk),
                "kind": kind,
                "sha256": row.sha256,
                "size": row.size,
                "content_type": row.content_type,
            },
        )
    return row


@transaction.atomic
def request_document_record_download(*, document: RequestDocument, actor, request=None) -> None:
    """The audit line of a download the caller has already allowed through the policy."""
    access_request = document.request
    audit_record(
        actor=actor,
        action="request.document.download",
        target=document,
        request=request,
        organisation_id=access_request.organisation_id,
        project_id=access_request.dataset.project_id,
        details={"request": str(access_request.pk), "sha256": document.sha256},
    )
