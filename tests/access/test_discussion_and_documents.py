"""Discussion threads and documents on a request (#18): the committee's own thread stays with
the non-conflicted committee; the requester's thread reaches the requester; documents are
stored checksummed with a sniffed type and downloaded only through the policy, with an audit
event; a reviewer reads the documents of their request and gets 404 for every other."""

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.access.exceptions import NotAllowed
from apps.access.models import RequestDocument, Thread
from apps.access.services import access_request_create, access_request_submit
from apps.access.services.discussion import request_message_post
from apps.access.services.documents import request_document_attach
from apps.access.services.reviews import request_review_ask
from apps.audit.models import AuditEvent
from apps.notifications.models import EventType, Notification

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _pdf(name="ethics-approval.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def _file(dataset, requester, organisation, data):
    draft = access_request_create(
        dataset=dataset, requester=requester, organisation=organisation, data=data
    )
    return access_request_submit(access_request=draft, actor=requester)


@pytest.fixture
def in_review(controlled_dataset, partner_member, partner_org, request_data, dac_member):
    return _file(controlled_dataset, partner_member, partner_org, request_data)


@pytest.fixture
def letter(in_review, partner_member):
    return request_document_attach(
        access_request=in_review, actor=partner_member, upload=_pdf(), kind="ethics_approval"
    )


@pytest.fixture
def other_request_letter(controlled_dataset, coordinator, lead_org, request_data, dac_member):
    other = _file(controlled_dataset, coordinator, lead_org, request_data)
    return request_document_attach(
        access_request=other,
        actor=coordinator,
        upload=_pdf("proposal.pdf"),
        kind="research_proposal",
    )


def _download(client, document):
    return client.get(reverse("access:document_download", args=[document.request_id, document.pk]))


# --- Documents ------------------------------------------------------------------------------------
def test_attached_document_is_checksummed_sniffed_and_audited(letter, in_review):
    assert letter.sha256 == hashlib.sha256(PDF).hexdigest()
    assert letter.content_type == "application/pdf"
    assert letter.size == len(PDF)
    event = AuditEvent.objects.get(action="request.document.attach", target_id=str(in_review.pk))
    assert event.details["sha256"] == letter.sha256


def test_html_named_like_a_pdf_is_refused_and_nothing_is_stored(in_review, partner_member):
    with pytest.raises(ValidationError):
        request_document_attach(
            access_request=in_review,
            actor=partner_member,
            upload=_pdf("letter.pdf", b"<html><script>alert(1)</script></html>"),
            kind="other",
        )
    assert not RequestDocument.objects.exists()


def test_a_dataset_format_is_not_a_request_document(in_review, partner_member):
    csv = SimpleUploadedFile("cohort.csv", b"id,age\n1,40\n", content_type="text/csv")
    with pytest.raises(ValidationError, match="documents only"):
        request_document_attach(
            access_request=in_review, actor=partner_member, upload=csv, kind="other"
        )


def test_document_over_the_request_limit_is_refused(in_review, partner_member, settings):
    settings.STRATUM_REQUEST_DOCUMENT_MAX_BYTES = 40
    with pytest.raises(ValidationError, match="at most"):
        request_document_attach(
            access_request=in_review, actor=partner_member, upload=_pdf(), kind="other"
        )


def test_only_the_requester_attaches(in_review, dac_member):
    with pytest.raises(NotAllowed):
        request_document_attach(
            access_request=in_review, actor=dac_member, upload=_pdf(), kind="other"
        )


def test_requester_uploads_through_the_page(client, in_review, partner_member):
    client.force_login(partner_member)
    response = client.post(
        reverse("access:document_upload", args=[in_review.pk]),
        {"kind": "research_proposal", "file": _pdf("proposal.pdf")},
    )
    assert response.status_code == 302
    assert RequestDocument.objects.get().file_name == "proposal.pdf"


def test_refused_upload_shows_the_error_inline(client, in_review, partner_member):
    client.force_login(partner_member)
    response = client.post(
        reverse("access:document_upload", args=[in_review.pk]),
        {"kind": "other", "file": _pdf("page.pdf", b"<html></html>")},
    )
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert not RequestDocument.objects.exists()


@pytest.mark.parametrize("who", ["partner_member", "dac_member", "staff"])
def test_requester_committee_and_staff_download_with_an_audit_event(request, client, letter, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    response = _download(client, letter)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    event = AuditEvent.objects.get(action="request.document.download", target_id=str(letter.pk))
    assert event.actor == user


@pytest.mark.parametrize("who", ["conflicted_member", "outsider", "partner_org_colleague"])
def test_others_get_404_for_a_document(request, client, letter, who):
    client.force_login(request.getfixturevalue(who))
    assert _download(client, letter).status_code == 404
    assert not AuditEvent.objects.filter(action="request.document.download").exists()


def test_reviewer_downloads_their_requests_documents_and_gets_404_for_every_other(
    client, letter, other_request_letter, in_review, dac_member, outsider
):
    request_review_ask(
        access_request=in_review, reviewer=outsider, actor=dac_member, question="Consent?"
    )
    client.force_login(outsider)
    assert _download(client, letter).status_code == 200
    assert _download(client, other_request_letter).status_code == 404
    # The other request's document under this request's URL is not found either.
    mixed = reverse("access:document_download", args=[in_review.pk, other_request_letter.pk])
    assert client.get(mixed).status_code == 404
    other_page = reverse("access:request_detail", args=[other_request_letter.request_id])
    assert client.get(other_page).status_code == 404


# --- Discussion -----------------------------------------------------------------------------------
def test_committee_thread_is_hidden_from_the_requester_and_conflicted_members(
    client, in_review, dac_member, partner_member, conflicted_member
):
    request_message_post(
        access_request=in_review,
        actor=dac_member,
        thread=Thread.COMMITTEE,
        body="Is the cohort big enough?",
    )
    for user in (partner_member, conflicted_member):
        client.force_login(user)
        page = client.get(reverse("access:request_detail", args=[in_review.pk])).content.decode()
        assert "Is the cohort big enough?" not in page
        assert not Notification.objects.filter(
            recipient=user, event_type=EventType.REQUEST_MESSAGE
        ).exists()
    client.force_login(dac_member)
    assert (
        "Is the cohort big enough?"
        in client.get(reverse("access:request_detail", args=[in_review.pk])).content.decode()
    )


def test_requester_thread_reaches_the_requester_notified_and_audited(
    client, in_review, dac_member, partner_member
):
    request_message_post(
        access_request=in_review,
        actor=dac_member,
        thread=Thread.REQUESTER,
        body="Please attach the ethics approval letter.",
    )
    note = Notification.objects.get(recipient=partner_member, event_type=EventType.REQUEST_MESSAGE)
    assert "ethics approval letter" in note.body
    assert (
        AuditEvent.objects.filter(
            action="request.message.requester", target_id=str(in_review.pk)
        ).count()
        == 1
    )
    client.force_login(partner_member)
    response = client.post(
        reverse("access:message_post", args=[in_review.pk]),
        {"thread": "requester", "body": "Attached now."},
    )
    assert response.status_code == 302
    assert (
        Notification.objects.filter(
            recipient=dac_member, event_type=EventType.REQUEST_MESSAGE
        ).count()
        == 1
    )


def test_requester_cannot_post_to_the_committee_thread(client, in_review, partner_member):
    client.force_login(partner_member)
    response = client.post(
        reverse("access:message_post", args=[in_review.pk]),
        {"thread": "committee", "body": "Hello"},
    )
    assert response.status_code == 403


def test_conflicted_member_cannot_post_in_either_thread(in_review, conflicted_member):
    for thread in (Thread.COMMITTEE, Thread.REQUESTER):
        with pytest.raises(NotAllowed):
            request_message_post(
                access_request=in_review, actor=conflicted_member, thread=thread, body="x"
            )


def test_empty_message_is_refused_with_an_inline_error(client, in_review, dac_member):
    client.force_login(dac_member)
    response = client.post(
        reverse("access:message_post", args=[in_review.pk]), {"thread": "committee", "body": " "}
    )
    assert response.status_code == 400
    assert "Write a message." in response.content.decode()


def test_outsider_gets_404_for_posting(client, in_review, outsider):
    client.force_login(outsider)
    response = client.post(
        reverse("access:message_post", args=[in_review.pk]), {"thread": "requester", "body": "Hi"}
    )
    assert response.status_code == 404
