"""Renewal (#18, acceptance 6): a renewal approved before expiry extends the same grant, the
holder's change feed shows no access loss, and the 30- and 7-day notices link to it."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from apps.access.models import AccessGrant, GrantStatus
from apps.access.services import (
    access_request_approve,
    access_request_create,
    access_request_renew,
    access_request_submit,
    grants_send_expiry_notices,
)
from apps.audit.models import AuditEvent
from apps.notifications.models import EventType, Notification
from tests.api.conftest import client_for

REPORT = "Validated the signature in 412 participants; preprint at medRxiv, 2026."


@pytest.fixture
def grant(controlled_dataset, partner_member, partner_org, request_data, dac_member):
    """A live grant reached through the real flow, 20 days from its end."""
    draft = access_request_create(
        dataset=controlled_dataset,
        requester=partner_member,
        organisation=partner_org,
        data=request_data,
    )
    submitted = access_request_submit(access_request=draft, actor=partner_member)
    access_request_approve(access_request=submitted, actor=dac_member)
    grant = AccessGrant.objects.get(request=submitted)
    grant.valid_until = timezone.now() + datetime.timedelta(days=20)
    grant.save(update_fields=["valid_until"])
    return grant


def _renew_and_approve(grant, holder, decider):
    renewal = access_request_renew(grant=grant, actor=holder, report=REPORT)
    submitted = access_request_submit(access_request=renewal, actor=holder)
    access_request_approve(access_request=submitted, actor=decider)
    return submitted


def test_an_approved_renewal_before_expiry_extends_the_same_grant(
    grant, partner_member, dac_member
):
    old_end = grant.valid_until
    renewal = _renew_and_approve(grant, partner_member, dac_member)
    grants = AccessGrant.objects.filter(user=partner_member, dataset=grant.dataset)
    assert list(grants.values_list("pk", flat=True)) == [grant.pk]
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE
    assert grant.valid_until > old_end + datetime.timedelta(days=300)
    assert (grant.notice_30_sent_at, grant.notice_7_sent_at) == (None, None)
    event = AuditEvent.objects.get(action="grant.renew", target_id=str(grant.pk))
    assert event.details["renewal_request"] == str(renewal.pk)
    assert not AuditEvent.objects.filter(action="grant.supersede").exists()


def test_the_holders_feed_shows_no_access_loss_across_a_renewal(grant, partner_member, dac_member):
    client = client_for(partner_member)
    cursor = client.get("/api/v1/changes/?since=latest").json()["cursor"]
    _renew_and_approve(grant, partner_member, dac_member)
    items = []
    while True:
        body = client.get(f"/api/v1/changes/?since={cursor}&page_size=200").json()
        items += body["results"]
        cursor = body["cursor"]
        if not body["has_more"]:
            break
    ours = {str(grant.pk), str(grant.dataset_id)}
    assert [i for i in items if i["id"] in ours and i["op"] == "tombstone"] == []
    grant_upserts = [i for i in items if i["id"] == str(grant.pk) and i["op"] == "upsert"]
    assert grant_upserts, "the extended grant reaches the holder as an upsert"
    assert client.get(f"/api/v1/datasets/{grant.dataset_id}/").status_code == 200


def test_a_renewal_needs_a_report_to_be_submitted(grant, partner_member):
    renewal = access_request_renew(grant=grant, actor=partner_member, report="")
    with pytest.raises(ValidationError, match="how the data was used"):
        access_request_submit(access_request=renewal, actor=partner_member)


def test_the_committee_sees_the_report_and_the_previous_request(
    client, grant, partner_member, dac_member
):
    renewal = access_request_renew(grant=grant, actor=partner_member, report=REPORT)
    access_request_submit(access_request=renewal, actor=partner_member)
    client.force_login(dac_member)
    page = client.get(reverse("access:request_detail", args=[renewal.pk])).content.decode()
    assert REPORT in page
    assert reverse("access:request_detail", args=[grant.request_id]) in page


def test_expiry_notices_link_to_the_renewal_page(grant, partner_member):
    assert grants_send_expiry_notices() == 1
    note = Notification.objects.get(recipient=partner_member, event_type=EventType.GRANT_EXPIRING)
    assert note.url == reverse("access:grant_renew", args=[grant.pk])


def test_holder_drafts_a_renewal_from_the_page(client, grant, partner_member):
    client.force_login(partner_member)
    url = reverse("access:grant_renew", args=[grant.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"report": ""})
    assert response.status_code == 400
    assert "Say how the data was used and what was published." in response.content.decode()
    response = client.post(url, {"report": REPORT})
    assert response.status_code == 302
    assert grant.renewals.get().renewal_report == REPORT


def test_only_the_holder_can_renew(client, grant, dac_member):
    client.force_login(dac_member)
    response = client.post(reverse("access:grant_renew", args=[grant.pk]), {"report": REPORT})
    assert response.status_code == 403
    assert not grant.renewals.exists()


def test_a_lapsed_grant_is_not_extended_but_replaced(grant, partner_member, dac_member):
    renewal = access_request_renew(grant=grant, actor=partner_member, report=REPORT)
    submitted = access_request_submit(access_request=renewal, actor=partner_member)
    AccessGrant.objects.filter(pk=grant.pk).update(
        valid_until=timezone.now() - datetime.timedelta(minutes=1)
    )
    access_request_approve(access_request=submitted, actor=dac_member)
    assert AccessGrant.objects.get(request=submitted).pk != grant.pk
