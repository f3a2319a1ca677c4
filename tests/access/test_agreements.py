"""Data use agreements (#18, acceptance 4): the requester accepts v2 at submission (who, when,
from where, the text's SHA-256); the grant records v2; the PDF of the accepted agreement holds
the text, the person and the time, and its hash matches the text's."""

import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from apps.access.agreements import render_agreement
from apps.access.models import AccessGrant, AgreementAcceptance
from apps.access.services import (
    access_request_approve,
    access_request_create,
    access_request_submit,
)
from apps.access.services.agreements import agreement_version_add
from apps.audit.models import AuditEvent

V1 = "# Terms\n\nUse the data for the approved purpose only."
V2 = (
    "# Terms\n\n- Use the data for the approved purpose only.\n"
    "- Never attempt to re-identify a participant.\n- Publish within 12 months."
)


@pytest.fixture
def agreement_v2(controlled_dataset, coordinator):
    agreement_version_add(
        dataset=controlled_dataset, actor=coordinator, title="RESPIRE DUA", text=V1
    )
    return agreement_version_add(
        dataset=controlled_dataset, actor=coordinator, title="RESPIRE DUA", text=V2
    )


@pytest.fixture
def draft(controlled_dataset, partner_member, partner_org, request_data, dac_member):
    return access_request_create(
        dataset=controlled_dataset,
        requester=partner_member,
        organisation=partner_org,
        data=request_data,
    )


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_versions_are_numbered_and_hashed(agreement_v2):
    assert agreement_v2.version == 2
    assert agreement_v2.text_sha256 == hashlib.sha256(V2.encode()).hexdigest()


def test_submission_without_accepting_the_agreement_is_refused(agreement_v2, draft, partner_member):
    with pytest.raises(ValidationError, match="version 2"):
        access_request_submit(access_request=draft, actor=partner_member)
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_accepting_a_superseded_version_is_refused(agreement_v2, draft, partner_member):
    with pytest.raises(ValidationError, match="changed to version 2"):
        access_request_submit(access_request=draft, actor=partner_member, agreement_version=1)
    assert not AgreementAcceptance.objects.exists()


def test_requester_accepts_v2_the_grant_shows_v2_and_the_pdf_matches(
    client, agreement_v2, draft, partner_member, dac_member
):
    client.force_login(partner_member)
    page = client.get(reverse("access:request_detail", args=[draft.pk])).content.decode()
    assert "I accept version 2 of this data use agreement" in page
    assert "Never attempt to re-identify a participant." in page
    response = client.post(
        reverse("access:request_submit", args=[draft.pk]),
        {"agreement_version": ["", "2"]},
        REMOTE_ADDR="203.0.113.7",
    )
    assert response.status_code == 302
    acceptance = AgreementAcceptance.objects.get(request=draft)
    assert acceptance.user == partner_member
    assert acceptance.agreement == agreement_v2
    assert acceptance.ip_address == "203.0.113.7"
    assert acceptance.text_sha256 == hashlib.sha256(V2.encode()).hexdigest()
    assert abs((timezone.now() - acceptance.accepted_at).total_seconds()) < 60
    assert (
        AuditEvent.objects.filter(action="agreement.accept", target_id=str(acceptance.pk)).count()
        == 1
    )

    draft.refresh_from_db()
    access_request_approve(access_request=draft, actor=dac_member)
    grant = AccessGrant.objects.get(request=draft)
    assert grant.agreement_acceptance == acceptance
    grant_page = client.get(reverse("access:grant_detail", args=[grant.pk])).content.decode()
    assert "version 2" in grant_page

    pdf = client.get(reverse("access:acceptance_pdf", args=[acceptance.pk]))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    text = _pdf_text(pdf.content)
    assert "Never attempt to re-identify a participant." in text
    assert partner_member.display_name in text
    assert partner_member.email in text
    assert timezone.localtime(acceptance.accepted_at).strftime("%-d %b %Y %H:%M:%S") in text
    shown_hash = "".join(text.split("SHA-256 of the agreement text")[1].split()[0:2])[:64]
    assert shown_hash == hashlib.sha256(agreement_v2.text.encode()).hexdigest()
    assert AuditEvent.objects.filter(action="agreement.pdf.download").count() == 1


def test_outsider_and_conflicted_member_cannot_fetch_the_pdf(
    client, agreement_v2, draft, partner_member, outsider
):
    access_request_submit(access_request=draft, actor=partner_member, agreement_version=2)
    acceptance = AgreementAcceptance.objects.get()
    client.force_login(outsider)
    assert client.get(reverse("access:acceptance_pdf", args=[acceptance.pk])).status_code == 404


def test_committee_agreement_applies_when_the_dataset_has_none(
    controlled_dataset, committee, coordinator, draft, partner_member
):
    agreement_version_add(committee=committee, actor=coordinator, title="Committee DUA", text=V1)
    with pytest.raises(ValidationError):
        access_request_submit(access_request=draft, actor=partner_member)
    access_request_submit(access_request=draft, actor=partner_member, agreement_version=1)
    assert AgreementAcceptance.objects.get().agreement.committee == committee


def test_markdown_is_rendered_and_raw_html_or_script_links_never_become_markup():
    html = render_agreement(
        "# Title\n\n<script>alert(1)</script>\n\n[bad](javascript:alert(1)) "
        '<a href="https://example.org" onclick="x()">raw</a> [good](https://example.org)'
        "\n\n- one\n- two"
    )
    assert "<h1>Title</h1>" in html
    assert "<li>one</li>" in html
    assert "<script" not in html  # shown as text: &lt;script&gt;
    assert "&lt;script&gt;" in html
    assert 'href="javascript' not in html
    assert '<a href="https://example.org" onclick' not in html
    assert 'href="https://example.org" rel="noopener noreferrer nofollow">good</a>' in html


def test_coordinator_saves_a_new_version_from_the_page(client, controlled_dataset, coordinator):
    client.force_login(coordinator)
    url = reverse("access:dataset_agreement", args=[controlled_dataset.pk])
    assert client.post(url, {"title": "DUA", "text": V1}).status_code == 302
    response = client.post(url, {"title": "DUA", "text": ""})
    assert response.status_code == 400
    assert "Write the agreement&#x27;s text." in response.content.decode()
    assert controlled_dataset.agreements.count() == 1


def test_someone_who_cannot_edit_the_dataset_cannot_write_its_agreement(
    client, controlled_dataset, outsider
):
    # The outsider sees the dataset in the public catalogue (so 403, not 404) but cannot edit it.
    client.force_login(outsider)
    response = client.post(
        reverse("access:dataset_agreement", args=[controlled_dataset.pk]),
        {"title": "x", "text": "y"},
    )
    assert response.status_code == 403
    assert not controlled_dataset.agreements.exists()
