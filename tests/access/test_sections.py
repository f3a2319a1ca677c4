"""The committee section of the project page and the home page's access sections."""

import datetime

from django.urls import reverse
from django.utils import timezone

from apps.access.services import access_request_create, access_request_submit
from tests.access.factories import AccessGrantFactory


def test_a_coordinator_is_offered_to_set_up_the_committee(client, coordinator, project):
    client.force_login(coordinator)
    html = client.get(reverse("projects:detail", kwargs={"slug": project.slug})).content.decode()
    assert "This project has no data access committee yet." in html
    assert "Set up the committee" in html


def test_a_contributor_sees_no_committee_section_before_there_is_one(
    client, partner_member, project
):
    client.force_login(partner_member)
    html = client.get(reverse("projects:detail", kwargs={"slug": project.slug})).content.decode()
    assert "Set up the committee" not in html


def test_a_committee_member_is_pointed_to_the_queue_with_the_count_awaiting_them(
    client, controlled_dataset, partner_member, partner_org, request_data, dac_member, project
):
    draft = access_request_create(
        dataset=controlled_dataset,
        requester=partner_member,
        organisation=partner_org,
        data=request_data,
    )
    access_request_submit(access_request=draft, actor=partner_member)
    client.force_login(dac_member)
    html = client.get(reverse("projects:detail", kwargs={"slug": project.slug})).content.decode()
    assert "Open the request queue (1 awaiting you)" in html


def test_the_home_page_lists_requests_awaiting_my_decision_and_grants_ending_soon(
    client, controlled_dataset, partner_member, partner_org, request_data, dac_member, nhs_org
):
    draft = access_request_create(
        dataset=controlled_dataset,
        requester=partner_member,
        organisation=partner_org,
        data=request_data,
    )
    access_request_submit(access_request=draft, actor=partner_member)
    AccessGrantFactory(
        request__requester=dac_member,
        request__organisation=nhs_org,
        valid_until=timezone.now() + datetime.timedelta(days=10),
    )
    client.force_login(dac_member)
    html = client.get(reverse("home")).content.decode()
    assert "Access requests awaiting your decision" in html
    assert "Sputum transcriptomics — Pat Partner" in html
    assert "Access grants ending soon" in html


def test_people_with_nothing_to_decide_see_no_access_section_on_the_home_page(client, outsider):
    client.force_login(outsider)
    html = client.get(reverse("home")).content.decode()
    assert "Access requests awaiting your decision" not in html
