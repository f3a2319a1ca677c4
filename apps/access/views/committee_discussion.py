"""Discussion threads and documents on a request (#18). Thin: policy, service, redirect."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from apps.access.exceptions import NotAllowed
from apps.access.forms import apply_service_errors
from apps.access.forms_committee import DocumentForm, MessageForm
from apps.access.models import RequestDocument, RequestMessage, Thread
from apps.access.policy import Action, can, get_for_user, visible
from apps.access.policy.committee_work import (
    ATTACH_DOCUMENT,
    DISCUSS_COMMITTEE,
    DISCUSS_REQUESTER,
)
from apps.access.services.discussion import request_message_post
from apps.access.services.documents import (
    request_document_attach,
    request_document_record_download,
)
from apps.access.views.common import REQUEST_QS
from apps.core.uploads import (
    UploadRefused,
    parse_upload,
    protected_file_response,
    streaming_uploads,
)


def discussion_context(user, access_request) -> dict:
    posted = visible(user, RequestMessage.objects.filter(request_id=access_request.pk))
    posted = list(posted.select_related("author"))
    threads = []
    for thread, action in (
        (Thread.REQUESTER, DISCUSS_REQUESTER),
        (Thread.COMMITTEE, DISCUSS_COMMITTEE),
    ):
        may_post = can(user, action, access_request)
        shown = [m for m in posted if m.thread == thread]
        if may_post or shown:
            threads.append(
                {
                    "key": thread.value,
                    "label": thread.label,
                    "messages": shown,
                    "form": MessageForm(
                        initial={"thread": thread.value}, auto_id=f"{thread.value}_%s"
                    )
                    if may_post
                    else None,
                }
            )
    documents = visible(user, RequestDocument.objects.filter(request_id=access_request.pk))
    return {
        "threads": threads,
        "documents": list(documents.select_related("uploaded_by")),
        "can_attach": can(user, ATTACH_DOCUMENT, access_request),
        "document_form": DocumentForm(),
    }


@login_required
@require_POST
def message_post(request, pk):
    access_request = get_for_user(request.user, REQUEST_QS, pk=pk)
    form = MessageForm(request.POST)
    if form.is_valid():
        try:
            request_message_post(
                access_request=access_request,
                actor=request.user,
                thread=form.cleaned_data["thread"],
                body=form.cleaned_data["body"],
                request=request,
            )
        except NotAllowed as error:
            raise PermissionDenied(str(error)) from error
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, "Your message was posted.")
            url = reverse("access:request_detail", kwargs={"pk": pk})
            return redirect(f"{url}#thread-{form.cleaned_data['thread']}")
    return render(
        request,
        "access/message_form.html",
        {"access_request": access_request, "form": form},
        status=400,
    )


@csrf_exempt  # CSRF is checked by csrf_protect below, after the streaming handler is installed
@login_required
@require_POST
def document_upload(request, pk):
    # The policy runs before a byte of the body is read: strangers cannot make us store.
    access_request = get_for_user(request.user, REQUEST_QS, action=ATTACH_DOCUMENT, pk=pk)
    with streaming_uploads(request) as handler:
        return _document_upload(request, access_request, handler)


@csrf_protect
def _document_upload(request, access_request, handler):
    try:
        parse_upload(request, handler)
    except UploadRefused as refusal:
        form = DocumentForm(request.POST)
        form.is_valid()
        form.add_error(None, refusal.message)
        return _document_form(request, access_request, form, status=refusal.status)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            document = request_document_attach(
                access_request=access_request,
                actor=request.user,
                upload=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
                request=request,
            )
        except NotAllowed as error:
            raise PermissionDenied(str(error)) from error
        except ValidationError as error:
            form.add_error("file", error.messages)
        else:
            messages.success(request, f"Attached {document.file_name} (SHA-256 {document.sha256}).")
            return redirect("access:request_detail", pk=access_request.pk)
    return _document_form(request, access_request, form, status=400)


def _document_form(request, access_request, form, *, status):
    return render(
        request,
        "access/document_form.html",
        {"access_request": access_request, "form": form},
        status=status,
    )


@login_required
def document_download(request, pk, document_pk):
    """404 for anyone who may not download, whether or not the document exists."""
    documents = RequestDocument.objects.select_related(
        "request", "request__dataset", "request__organisation"
    ).filter(pk=document_pk, request_id=pk)
    document = visible(request.user, documents, Action.DOWNLOAD).first()
    if document is None:
        raise Http404("Not found")
    response = protected_file_response(document)  # opened first: a missing file records nothing
    request_document_record_download(document=document, actor=request.user, request=request)
    return response
