"""Reviewers (#18, acceptance 3): a person asked about one request reads it and nothing else
(404 for every other request), cannot decide, and is subject to the committee's conflict rules."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.access.models import RequestReview
from apps.access.services import access_request_create, access_request_submit
from apps.access.services.reviews import request_review_ask, request_review_submit
from apps.audit.models import AuditEvent
from apps.notifications.models import EventType, Notification
from tests.access.factories import AccessGrantFactory


def _file(dataset, requester, organisation, data):
    draft = access_request_create(
        dataset=dataset, requester=requester, organisation=organisation, data=data
    )
    return access_request_submit(access_request=draft, actor=requester)


@pytest.fixture
def in_review(controlled_dataset, partner_member, partner_org, request_data, dac_member):
    return _file(controlled_dataset, partner_member, partner_org, request_data)


@pytest.fixture
def other_request(controlled_dataset, coordinator, lead_org, request_data, dac_member):
    """Another request for the same dataset, by someone else."""
    return _file(controlled_dataset, coordinator, lead_org, request_data)


@pytest.fixture
def asked(in_review, dac_member, outsider):
    """The outsider (an expert from a company outside the consortium) asked for a review."""
    return request_review_ask(
        access_request=in_review,
        reviewer=outsider,
        actor=dac_member,
        question="Is the consent model adequate for this use?",
    )


def test_reviewer_reads_the_request_they_were_asked_about(client, asked, in_review, outsider):
    client.force_login(outsider)
    response = client.get(reverse("access:request_detail", args=[in_review.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Validate an eosinophil signature in asthma." in page
    assert "Is the consent model adequate" in page
    assert "Send my review" in page
    # Not the committee's side panel: seats, conflicts and the person's other requests.
    assert "Earlier requests from this person" not in page
    assert "Record decision" not in page


def test_reviewer_gets_404_for_every_other_request(client, asked, other_request, outsider):
    client.force_login(outsider)
    for name in ("request_detail", "request_withdraw"):
        assert client.get(reverse(f"access:{name}", args=[other_request.pk])).status_code == 404
    for name in ("request_vote", "review_ask", "request_decide"):
        assert client.post(reverse(f"access:{name}", args=[other_request.pk])).status_code == 404


def test_reviewer_gets_404_for_the_committee_queue_and_grants(
    client, asked, in_review, outsider, partner_member, controlled_dataset
):
    grant = AccessGrantFactory(dataset=controlled_dataset, user=partner_member)
    client.force_login(outsider)
    project = controlled_dataset.project
    assert client.get(reverse("access:committee_queue", args=[project.slug])).status_code == 404
    assert client.get(reverse("access:grant_detail", args=[grant.pk])).status_code == 404


def test_reviewer_cannot_decide(client, asked, in_review, outsider):
    client.force_login(outsider)
    response = client.post(
        reverse("access:request_decide", args=[in_review.pk]),
        {"decision": "approve", "reason": "Looks fine"},
    )
    assert response.status_code == 403
    in_review.refresh_from_db()
    assert in_review.status == "in_review"


def test_asking_is_audited_and_notifies_the_reviewer(asked, in_review, outsider):
    assert (
        AuditEvent.objects.filter(action="request.review.ask", target_id=str(in_review.pk)).count()
        == 1
    )
    assert (
        Notification.objects.filter(recipient=outsider, event_type=EventType.REVIEW_ASKED).count()
        == 1
    )


def test_someone_from_the_requesters_organisation_cannot_be_asked(
    in_review, dac_member, partner_org_colleague
):
    with pytest.raises(ValidationError) as error:
        request_review_ask(
            access_request=in_review,
            reviewer=partner_org_colleague,
            actor=dac_member,
            question="Please look.",
        )
    assert "conflict of interest" in str(error.value)
    assert not RequestReview.objects.exists()


def test_conflicted_member_cannot_ask_for_a_review(client, in_review, conflicted_member, outsider):
    client.force_login(conflicted_member)
    response = client.post(
        reverse("access:review_ask", args=[in_review.pk]),
        {"reviewer": outsider.email, "question": "Please look."},
    )
    assert response.status_code == 403


def test_review_reaches_the_committee_but_not_conflicted_members(
    client, asked, in_review, outsider, dac_member, conflicted_member
):
    client.force_login(outsider)
    response = client.post(
        reverse("access:review_submit", args=[in_review.pk, asked.pk]),
        {"review": "Consent covers secondary research; no concerns."},
    )
    assert response.status_code == 302
    client.force_login(dac_member)
    assert (
        "no concerns"
        in client.get(reverse("access:request_detail", args=[in_review.pk])).content.decode()
    )
    client.force_login(conflicted_member)
    assert (
        "no concerns"
        not in client.get(reverse("access:request_detail", args=[in_review.pk])).content.decode()
    )
    assert AuditEvent.objects.filter(action="request.review.submit").count() == 1


def test_a_review_is_sent_once(asked, outsider):
    from apps.access.exceptions import TransitionError

    request_review_submit(review=asked, actor=outsider, text="Fine.")
    with pytest.raises(TransitionError):
        request_review_submit(review=asked, actor=outsider, text="Changed my mind.")


def test_ask_form_errors_show_inline_and_nothing_is_saved(client, in_review, dac_member):
    client.force_login(dac_member)
    response = client.post(
        reverse("access:review_ask", args=[in_review.pk]),
        {"reviewer": "nobody@nowhere.test", "question": ""},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nobody with this email address has a Stratum account." in page
    assert "Say what you would like the reviewer to look at." in page
    assert not RequestReview.objects.exists()


def test_my_reviews_lists_only_my_reviews(client, asked, outsider, dac_member):
    client.force_login(outsider)
    page = client.get(reverse("access:my_reviews")).content.decode()
    assert "Sputum transcriptomics" in page
    client.force_login(dac_member)
    assert "Sputum transcriptomics" not in client.get(reverse("access:my_reviews")).content.decode()
