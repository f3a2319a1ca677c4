"""The access pages: happy path, anonymous, outsider (404), read-only (403), invalid (400)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.access.models import AccessGrant, AccessRequest, GrantStatus, RequestStatus
from apps.access.services import access_request_create, access_request_submit
from apps.audit.models import AuditEvent
from apps.datasets.models import DataUsePolicy
from tests.access.factories import AccessGrantFactory, ControlledDatasetFactory


@pytest.fixture
def submitted(controlled_dataset, partner_member, partner_org, request_data, dac_member):
    draft = access_request_create(
        dataset=controlled_dataset,
        requester=partner_member,
        organisation=partner_org,
        data=request_data,
    )
    return access_request_submit(access_request=draft, actor=partner_member)


def request_form(asthma, **overrides):
    data = {
        "organisation": "",
        "purpose": "Replicate the asthma signature.",
        "research_types": ["disease"],
        "diseases": [str(asthma.pk)],
        "is_commercial": "false",
        "attestations": ["PUB"],
        "submit": "1",
    }
    data.update(overrides)
    return data


# --- Filing a request ---------------------------------------------------------------------------
def test_a_partner_member_files_and_submits_a_request(
    client, partner_member, partner_org, controlled_dataset, asthma, dac_member
):
    client.force_login(partner_member)
    url = reverse("access:request_create", kwargs={"pk": controlled_dataset.pk})
    assert client.get(url).status_code == 200
    response = client.post(url, request_form(asthma, organisation=str(partner_org.pk)))
    created = AccessRequest.objects.get(requester=partner_member)
    assert response.status_code == 302
    assert response.url == reverse("access:request_detail", kwargs={"pk": created.pk})
    assert created.status == RequestStatus.IN_REVIEW


def test_anonymous_is_sent_to_sign_in_for_the_request_form(client, controlled_dataset):
    url = reverse("access:request_create", kwargs={"pk": controlled_dataset.pk})
    response = client.get(url)
    assert response.status_code == 302
    assert "/login/" in response.url


def test_an_outsider_gets_404_for_the_request_form_of_a_members_only_project(
    client, outsider, controlled_dataset, project
):
    project.summary_visibility = "members"
    project.save()
    client.force_login(outsider)
    url = reverse("access:request_create", kwargs={"pk": controlled_dataset.pk})
    assert client.get(url).status_code == 404


def test_a_consortium_tier_dataset_cannot_be_requested(client, partner_member, project):
    dataset = ControlledDatasetFactory(project=project, access_tier="consortium")
    client.force_login(partner_member)
    url = reverse("access:request_create", kwargs={"pk": dataset.pk})
    assert client.get(url).status_code == 403


def test_an_invalid_request_form_shows_errors_and_saves_nothing(
    client, partner_member, partner_org, controlled_dataset, asthma
):
    client.force_login(partner_member)
    url = reverse("access:request_create", kwargs={"pk": controlled_dataset.pk})
    response = client.post(url, request_form(asthma, organisation=str(partner_org.pk), purpose=""))
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not AccessRequest.objects.exists()


def test_a_second_visit_to_the_form_goes_to_the_open_request(client, submitted, partner_member):
    client.force_login(partner_member)
    url = reverse("access:request_create", kwargs={"pk": submitted.dataset.pk})
    response = client.get(url)
    assert response.url == reverse("access:request_detail", kwargs={"pk": submitted.pk})


# --- Conflict of interest on the page and on the server ------------------------------------------
def test_a_conflicted_member_sees_neither_the_purpose_nor_decision_buttons(
    client, submitted, conflicted_member
):
    client.force_login(conflicted_member)
    page = client.get(reverse("access:request_detail", kwargs={"pk": submitted.pk}))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Validate an eosinophil signature" not in html
    assert "Record decision" not in html
    assert "you cannot decide it" in html


def test_the_server_refuses_a_conflicted_members_decision(client, submitted, conflicted_member):
    client.force_login(conflicted_member)
    url = reverse("access:request_decide", kwargs={"pk": submitted.pk})
    response = client.post(url, {"decision": "approve"})
    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.IN_REVIEW
    assert not AuditEvent.objects.filter(action="request.approve").exists()


def test_an_unconflicted_member_sees_the_purpose_checks_and_decides(
    client, submitted, dac_member, conflicted_member
):
    client.force_login(dac_member)
    url = reverse("access:request_detail", kwargs={"pk": submitted.pk})
    html = client.get(url).content.decode()
    assert "Validate an eosinophil signature" in html
    assert "Record decision" in html
    assert "falls within" in html
    assert "shares an organisation (University of Example)" in html
    response = client.post(
        reverse("access:request_decide", kwargs={"pk": submitted.pk}), {"decision": "approve"}
    )
    assert response.status_code == 302
    assert AccessGrant.objects.get(request=submitted).status == GrantStatus.ACTIVE


def test_rejecting_without_a_reason_is_a_form_error(client, submitted, dac_member):
    client.force_login(dac_member)
    url = reverse("access:request_decide", kwargs={"pk": submitted.pk})
    response = client.post(url, {"decision": "reject", "reason": ""})
    assert response.status_code == 400
    assert "Give a reason" in response.content.decode()


def test_an_outsider_gets_404_for_someone_elses_request(client, submitted, outsider):
    client.force_login(outsider)
    assert (
        client.get(reverse("access:request_detail", kwargs={"pk": submitted.pk})).status_code == 404
    )
    decide = client.post(reverse("access:request_decide", kwargs={"pk": submitted.pk}), {})
    assert decide.status_code == 404


def test_a_declared_conflict_removes_the_decision_and_escalates_when_nobody_is_left(
    client, submitted, dac_member, staff
):
    client.force_login(dac_member)
    client.post(
        reverse("access:request_conflict", kwargs={"pk": submitted.pk}), {"reason": "Co-author"}
    )
    submitted.refresh_from_db()
    assert submitted.escalated_to_staff
    html = client.get(
        reverse("access:request_detail", kwargs={"pk": submitted.pk})
    ).content.decode()
    assert "Record decision" not in html
    client.force_login(staff)
    response = client.post(
        reverse("access:request_decide", kwargs={"pk": submitted.pk}),
        {"decision": "reject", "reason": "Out of scope"},
    )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.REJECTED


# --- The requester's own pages -------------------------------------------------------------------
def test_my_grants_show_the_expiry_date(client, partner_member, partner_org):
    grant = AccessGrantFactory(
        request__requester=partner_member,
        request__organisation=partner_org,
        valid_until=timezone.now() + datetime.timedelta(days=20),
    )
    client.force_login(partner_member)
    html = client.get(reverse("access:grant_list")).content.decode()
    assert grant.dataset.title in html
    assert timezone.localtime(grant.valid_until).strftime("%-d %b %Y") in html


def test_my_requests_list_runs_a_constant_number_of_queries(
    client, partner_member, partner_org, django_assert_max_num_queries
):
    for _ in range(15):
        AccessGrantFactory(request__requester=partner_member, request__organisation=partner_org)
    client.force_login(partner_member)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("access:request_list")).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("access:grant_list")).status_code == 200


def test_withdrawing_needs_a_reason_after_submission(client, submitted, partner_member):
    client.force_login(partner_member)
    url = reverse("access:request_withdraw", kwargs={"pk": submitted.pk})
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "No longer needed"}).status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.WITHDRAWN


# --- Grants -------------------------------------------------------------------------------------
def test_a_committee_member_revokes_a_grant_and_the_holder_is_told(
    client, dac_member, partner_member, partner_org, controlled_dataset
):
    grant = AccessGrantFactory(
        request__requester=partner_member,
        request__organisation=partner_org,
        request__dataset=controlled_dataset,
    )
    client.force_login(dac_member)
    url = reverse("access:grant_manage", kwargs={"pk": grant.pk})
    client.post(url, {"action": "revoke", "reason": "Breach of the PUB obligation"})
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REVOKED
    assert partner_member.notifications.filter(event_type="grant_revoked").exists()


def test_the_holder_cannot_revoke_or_suspend_their_own_grant(
    client, partner_member, partner_org, controlled_dataset
):
    grant = AccessGrantFactory(
        request__requester=partner_member,
        request__organisation=partner_org,
        request__dataset=controlled_dataset,
    )
    client.force_login(partner_member)
    url = reverse("access:grant_manage", kwargs={"pk": grant.pk})
    assert client.post(url, {"action": "suspend", "reason": "x"}).status_code == 403


# --- Data-use policy page -----------------------------------------------------------------------
def test_a_contributor_sets_a_new_policy_version(
    client, partner_member, controlled_dataset, cancer
):
    client.force_login(partner_member)
    url = reverse("access:policy_edit", kwargs={"pk": controlled_dataset.pk})
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "permission": "DS",
            "diseases": [str(cancer.pk)],
            "modifiers": ["TS", "NPU"],
            "ts_months": "6",
        },
    )
    assert response.status_code == 302
    latest = DataUsePolicy.objects.filter(dataset=controlled_dataset).order_by("-version").first()
    assert latest.version == 2
    terms = {c.term.shorthand: c.value for c in latest.conditions.select_related("term")}
    assert terms == {"DS": [str(cancer.pk)], "TS": 6, "NPU": None}


def test_a_modifier_without_its_value_is_a_form_error(client, partner_member, controlled_dataset):
    client.force_login(partner_member)
    url = reverse("access:policy_edit", kwargs={"pk": controlled_dataset.pk})
    response = client.post(url, {"permission": "GRU", "modifiers": ["MOR"]})
    assert response.status_code == 400
    assert "MOR needs a value." in response.content.decode()


def test_a_consortium_member_who_is_not_a_contributor_gets_403_on_the_policy_page(
    client, partner_org_colleague, controlled_dataset
):
    client.force_login(partner_org_colleague)
    url = reverse("access:policy_edit", kwargs={"pk": controlled_dataset.pk})
    assert client.get(url).status_code == 403


def test_an_outsider_gets_404_on_the_policy_page(client, outsider, controlled_dataset, project):
    project.summary_visibility = "members"
    project.save()
    client.force_login(outsider)
    url = reverse("access:policy_edit", kwargs={"pk": controlled_dataset.pk})
    assert client.get(url).status_code == 404


# --- The committee queue ------------------------------------------------------------------------
def test_the_queue_shows_requester_organisation_kind_and_country_and_check(
    client, submitted, dac_member, django_assert_max_num_queries
):
    client.force_login(dac_member)
    url = reverse("access:committee_queue", kwargs={"slug": submitted.dataset.project.slug})
    with django_assert_max_num_queries(20):
        html = client.get(url).content.decode()
    assert "Pat Partner" in html
    assert "University / academic institute, United Kingdom" in html
    assert "Decide<span" in html


def test_a_conflicted_member_sees_the_request_in_the_queue_without_a_decide_button(
    client, submitted, conflicted_member
):
    client.force_login(conflicted_member)
    url = reverse("access:committee_queue", kwargs={"slug": submitted.dataset.project.slug})
    html = client.get(url).content.decode()
    assert submitted.dataset.title in html
    assert "Cannot decide" in html


def test_a_consortium_member_off_the_committee_gets_403_for_the_queue(
    client, committee, partner_member
):
    client.force_login(partner_member)
    url = reverse("access:committee_queue", kwargs={"slug": committee.project.slug})
    assert client.get(url).status_code == 403


def test_an_outsider_gets_404_for_the_queue_of_a_members_only_project(
    client, committee, outsider, project
):
    project.summary_visibility = "members"
    project.save()
    client.force_login(outsider)
    url = reverse("access:committee_queue", kwargs={"slug": committee.project.slug})
    assert client.get(url).status_code == 404


def test_the_coordinator_sets_up_the_committee_and_adds_a_member(
    client, coordinator, project, nhs_org
):
    from tests.accounts.factories import UserFactory
    from tests.organisations.factories import AffiliationFactory

    reviewer = UserFactory()
    AffiliationFactory(user=reviewer, organisation=nhs_org)
    client.force_login(coordinator)
    url = reverse("access:committee_queue", kwargs={"slug": project.slug})
    assert client.post(url, {"name": ""}).status_code == 302
    members_url = reverse("access:committee_members", kwargs={"slug": project.slug})
    response = client.post(
        members_url, {"user": str(reviewer.pk), "organisation": str(nhs_org.pk), "is_chair": "on"}
    )
    assert response.status_code == 302
    assert project.committee.members.get().user == reviewer


def test_a_member_from_a_non_partner_organisation_cannot_be_seated(
    client, coordinator, project, committee, outsider, other_org
):
    client.force_login(coordinator)
    members_url = reverse("access:committee_members", kwargs={"slug": project.slug})
    response = client.post(
        members_url, {"user": str(outsider.pk), "organisation": str(other_org.pk)}
    )
    assert response.status_code == 400
    assert not committee.members.exists()


def test_a_returned_request_is_edited_and_resubmitted_through_the_pages(
    client, submitted, dac_member, partner_member, partner_org, asthma
):
    client.force_login(dac_member)
    client.post(
        reverse("access:request_decide", kwargs={"pk": submitted.pk}),
        {"decision": "return", "reason": "Name the cohort."},
    )
    client.force_login(partner_member)
    edit = reverse("access:request_edit", kwargs={"pk": submitted.pk})
    page = client.get(edit)
    assert "Name the cohort." in page.content.decode()
    response = client.post(
        edit, request_form(asthma, organisation=str(partner_org.pk), purpose="Cohort A asthma.")
    )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.IN_REVIEW
    assert submitted.purpose == "Cohort A asthma."


def test_the_committee_cannot_open_the_edit_page(client, submitted, dac_member):
    client.force_login(dac_member)
    assert (
        client.get(reverse("access:request_edit", kwargs={"pk": submitted.pk})).status_code == 403
    )


def test_reapplying_from_a_refused_request_opens_a_linked_draft(
    client, controlled_dataset, partner_member, partner_org, request_data
):
    draft = access_request_create(
        dataset=controlled_dataset,
        requester=partner_member,
        organisation=partner_org,
        data={**request_data, "is_commercial": True},
    )
    refused = access_request_submit(access_request=draft, actor=partner_member)
    assert refused.status == RequestStatus.REFUSED
    client.force_login(partner_member)
    html = client.get(reverse("access:request_detail", kwargs={"pk": refused.pk})).content.decode()
    assert "Commercial use is declared, and this dataset allows only non-commercial use." in html
    response = client.post(reverse("access:request_reapply", kwargs={"pk": refused.pk}))
    copy = AccessRequest.objects.get(previous_request=refused)
    assert response.url == reverse("access:request_edit", kwargs={"pk": copy.pk})


def test_the_holder_asks_for_a_renewal_from_the_grant_page(
    client, partner_member, partner_org, controlled_dataset
):
    grant = AccessGrantFactory(
        request__requester=partner_member,
        request__organisation=partner_org,
        request__dataset=controlled_dataset,
        request__status=RequestStatus.APPROVED,
    )
    client.force_login(partner_member)
    assert (
        "Request a renewal"
        in client.get(reverse("access:grant_detail", kwargs={"pk": grant.pk})).content.decode()
    )
    client.post(
        reverse("access:grant_renew", kwargs={"pk": grant.pk}),
        {"report": "Validated the signature; one paper in preparation."},
    )
    assert AccessRequest.objects.get(renews_grant=grant).status == RequestStatus.DRAFT


def test_an_outsider_gets_404_for_someone_elses_grant(
    client, outsider, partner_member, partner_org
):
    grant = AccessGrantFactory(request__requester=partner_member, request__organisation=partner_org)
    client.force_login(outsider)
    assert client.get(reverse("access:grant_detail", kwargs={"pk": grant.pk})).status_code == 404


def test_my_access_shows_requests_awaiting_my_decision(client, submitted, dac_member):
    client.force_login(dac_member)
    html = client.get(reverse("access:index")).content.decode()
    assert "Awaiting your decision" in html
    assert submitted.dataset.title in html


def test_the_grant_change_has_its_own_confirmation_page_and_form_errors(
    client, dac_member, partner_member, partner_org, controlled_dataset
):
    grant = AccessGrantFactory(
        request__requester=partner_member,
        request__organisation=partner_org,
        request__dataset=controlled_dataset,
    )
    client.force_login(dac_member)
    url = reverse("access:grant_manage", kwargs={"pk": grant.pk})
    page = client.get(url, {"action": "suspend"})
    assert page.status_code == 200
    assert "Suspend this grant?" in page.content.decode()
    invalid = client.post(url, {"action": "revoke", "reason": ""})
    assert invalid.status_code == 400
    assert "Give a reason." in invalid.content.decode()
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE
