"""Every project page and action, for each persona: anonymous, outsider, read-only member,
coordinator, staff; plus invalid input."""

import datetime

import pytest

from apps.audit.models import AuditEvent
from apps.diseases.models import DiseaseArea
from apps.projects.models import (
    Biomarker,
    Membership,
    MembershipRole,
    Partner,
    PartnerRole,
    PartnerStatus,
    Project,
    ProjectStatus,
    SummaryVisibility,
    WorkPackage,
)
from tests.projects.factories import (
    BiomarkerFactory,
    MembershipFactory,
    PartnerFactory,
    ProjectFactory,
    WorkPackageFactory,
)

pytestmark = pytest.mark.django_db

MANAGEMENT_PAGES = [
    "edit/",
    "partners/",
    "members/",
    "work-packages/",
    "biomarkers/",
    "funders/",
]


def page(project, suffix=""):
    return f"/projects/{project.slug}/{suffix}"


@pytest.fixture
def members_only(project):
    project.summary_visibility = SummaryVisibility.MEMBERS
    project.summary = "Unpublished endotype hypothesis."
    project.save()
    return project


# --- the project page -----------------------------------------------------------------------
def test_public_project_page_shows_sections_to_anonymous_visitors(client, project):
    BiomarkerFactory(project=project, name="Blood eosinophils")
    WorkPackageFactory(project=project, number=1, title="Cohorts")
    body = client.get(page(project)).content.decode()
    for text in ("Overview", "Partners", "Blood eosinophils", "WP1 Cohorts", "Pharmacorp"):
        assert text in body
    assert "Members</h2>" not in body  # people are listed to the consortium only


def test_members_only_project_shows_outsiders_only_its_card(
    client, members_only, outsider, login, lead_org
):
    BiomarkerFactory(project=members_only, name="Secret marker")
    for viewer in (client, login(outsider)):
        response = viewer.get(page(members_only))
        body = response.content.decode()
        assert response.status_code == 200
        assert "RESPIRE" in body and "Pharmacorp" in body
        assert "Unpublished endotype hypothesis" not in body
        assert "Secret marker" not in body
        assert "University of Example" not in body


def test_members_see_everything_of_a_members_only_project(members_only, partner_member, login):
    BiomarkerFactory(project=members_only, name="Secret marker")
    body = login(partner_member).get(page(members_only)).content.decode()
    assert "Unpublished endotype hypothesis" in body
    assert "Secret marker" in body
    assert "Pat Partner" in body  # the members section
    assert "Leave this project" in body
    assert "Edit project" not in body


def test_coordinator_sees_management_actions(project, coordinator, login):
    body = login(coordinator).get(page(project)).content.decode()
    assert "Edit project" in body and "Mark completed" in body


def test_proposed_project_is_404_to_outsiders_and_anonymous(client, outsider, login):
    proposed = ProjectFactory(acronym="DRAFT", status=ProjectStatus.PROPOSED)
    assert client.get(page(proposed)).status_code == 404
    assert login(outsider).get(page(proposed)).status_code == 404


def test_unknown_project_is_404(client):
    assert client.get("/projects/no-such-project/").status_code == 404


# --- management pages: who gets what ---------------------------------------------------------
@pytest.mark.parametrize("suffix", MANAGEMENT_PAGES)
def test_anonymous_is_sent_to_sign_in_from_management_pages(client, project, suffix):
    response = client.get(page(project, suffix))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("suffix", MANAGEMENT_PAGES)
def test_outsider_gets_404_on_management_pages(project, outsider, login, suffix):
    assert login(outsider).get(page(project, suffix)).status_code == 404


@pytest.mark.parametrize("suffix", MANAGEMENT_PAGES)
def test_partner_member_without_coordinator_role_gets_403(project, partner_member, login, suffix):
    client = login(partner_member)
    assert client.get(page(project, suffix)).status_code == 403
    assert client.post(page(project, suffix), {}).status_code == 403


@pytest.mark.parametrize("suffix", MANAGEMENT_PAGES)
def test_coordinator_opens_management_pages(project, coordinator, login, suffix):
    assert login(coordinator).get(page(project, suffix)).status_code == 200


def test_staff_cannot_manage_a_project_by_being_staff(project, staff, login):
    assert login(staff).get(page(project, "edit/")).status_code == 403


# --- edit ---------------------------------------------------------------------------------------
def edit_data(project, **changes):
    data = {
        "title": project.title,
        "acronym": project.acronym,
        "summary": project.summary,
        "disease_areas": [DiseaseArea.objects.get(slug="asthma").pk],
        "start_date": "2026-01-01",
        "end_date": "2029-12-31",
        "summary_visibility": "public",
        "rec_reference": "",
        "iras_id": "",
        "consortium_agreement_signed_on": "",
    }
    return {**data, **changes}


def test_coordinator_edits_the_project(project, coordinator, login):
    response = login(coordinator).post(
        page(project, "edit/"), edit_data(project, title="Severe asthma stratification")
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.title == "Severe asthma stratification"
    assert project.disease_area_names == "Asthma"


def test_end_before_start_is_a_form_error_and_nothing_changes(project, coordinator, login):
    response = login(coordinator).post(
        page(project, "edit/"), edit_data(project, title="Changed", end_date="2025-01-01")
    )
    assert response.status_code == 400
    assert "must not be before the start date" in response.content.decode()
    assert Project.objects.get(pk=project.pk).title == "Respiratory stratification"


def test_duplicate_acronym_in_another_case_is_a_form_error(project, coordinator, login):
    ProjectFactory(acronym="Other1")
    response = login(coordinator).post(page(project, "edit/"), edit_data(project, acronym="OTHER1"))
    assert response.status_code == 400
    assert "already uses the acronym" in response.content.decode()


def test_consortium_agreement_must_be_a_pdf(project, coordinator, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("agreement.exe", b"MZ", content_type="application/octet-stream")
    response = login(coordinator).post(
        page(project, "edit/"), {**edit_data(project), "consortium_agreement": upload}
    )
    assert response.status_code == 400
    assert "PDF" in response.content.decode()


# --- partners -----------------------------------------------------------------------------------
def test_coordinator_invites_an_approved_organisation(project, coordinator, other_org, login):
    response = login(coordinator).post(
        page(project, "partners/"), {"organisation": other_org.pk, "role": "partner"}
    )
    assert response.status_code == 302
    assert project.partners.get(organisation=other_org).status == PartnerStatus.INVITED


def test_inviting_a_pending_organisation_is_a_form_error(project, coordinator, pending_org, login):
    response = login(coordinator).post(
        page(project, "partners/"), {"organisation": pending_org.pk, "role": "partner"}
    )
    assert response.status_code == 400
    assert "Newco Genomics is not an approved organisation" in response.content.decode()
    assert not project.partners.filter(organisation=pending_org).exists()


def test_invitations_page_lists_invitations_for_organisation_admins_only(
    project, coordinator, other_org, other_org_admin, outsider, login, client
):
    Partner.objects.create(
        project=project,
        organisation=other_org,
        status=PartnerStatus.INVITED,
        invited_by=coordinator,
    )
    assert "RESPIRE" in login(other_org_admin).get("/projects/invitations/").content.decode()
    assert "RESPIRE" not in login(outsider).get("/projects/invitations/").content.decode()


def test_admin_accepts_an_invitation(project, coordinator, other_org, other_org_admin, login):
    partner = Partner.objects.create(
        project=project, organisation=other_org, status=PartnerStatus.INVITED
    )
    response = login(other_org_admin).post(f"/projects/invitations/{partner.pk}/accept/")
    assert response.status_code == 302
    assert Partner.objects.get(pk=partner.pk).status == PartnerStatus.ACTIVE


def test_non_admin_cannot_answer_an_invitation(project, other_org, outsider, login):
    partner = Partner.objects.create(
        project=project, organisation=other_org, status=PartnerStatus.INVITED
    )
    response = login(outsider).post(f"/projects/invitations/{partner.pk}/accept/")
    assert response.status_code == 403  # the public project is visible, the answer is not his
    assert Partner.objects.get(pk=partner.pk).status == PartnerStatus.INVITED


def test_invitation_answer_needs_post(project, other_org, other_org_admin, login):
    partner = Partner.objects.create(
        project=project, organisation=other_org, status=PartnerStatus.INVITED
    )
    assert (
        login(other_org_admin).get(f"/projects/invitations/{partner.pk}/accept/").status_code == 405
    )


def test_partner_admin_takes_the_organisation_out(
    project, partner_org, partner_org_admin, partner_member, login
):
    partner = project.partners.get(organisation=partner_org)
    client = login(partner_org_admin)
    assert "Leave project" in client.get(page(project)).content.decode()
    response = client.post(page(project, f"partners/{partner.pk}/leave/"), {"reason": "Done"})
    assert response.status_code == 302
    assert Partner.objects.get(pk=partner.pk).status == PartnerStatus.LEFT
    assert Membership.objects.get(user=partner_member).ended_at is not None


def test_outsider_cannot_remove_a_partner(project, partner_org, outsider, partner_member, login):
    partner = project.partners.get(organisation=partner_org)
    assert login(outsider).post(page(project, f"partners/{partner.pk}/leave/")).status_code == 404
    client = login(partner_member)
    assert client.post(page(project, f"partners/{partner.pk}/leave/")).status_code == 403


# --- members ------------------------------------------------------------------------------------
def test_coordinator_adds_a_member_by_email(
    project, coordinator, partner_org, partner_org_colleague, login
):
    response = login(coordinator).post(
        page(project, "members/"),
        {"organisation": partner_org.pk, "email": "COLLEAGUE@example.ac.uk", "role": "viewer"},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=partner_org_colleague)
    assert membership.role == MembershipRole.VIEWER


def test_adding_a_stranger_or_an_observer_without_end_is_a_form_error(
    project, coordinator, partner_org, outsider, partner_org_colleague, login
):
    client = login(coordinator)
    response = client.post(
        page(project, "members/"),
        {"organisation": partner_org.pk, "email": outsider.email, "role": "contributor"},
    )
    assert response.status_code == 400
    assert "is not a current member of University of Example" in response.content.decode()
    response = client.post(
        page(project, "members/"),
        {"organisation": partner_org.pk, "email": partner_org_colleague.email, "role": "observer"},
    )
    assert response.status_code == 400
    assert "give an end date" in response.content.decode()
    assert not Membership.objects.filter(user__in=[outsider, partner_org_colleague]).exists()


def test_coordinator_changes_a_role(project, coordinator, partner_member, login):
    membership = Membership.objects.get(user=partner_member)
    ends = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    response = login(coordinator).post(
        page(project, f"members/{membership.pk}/role/"), {"role": "observer", "ends_on": ends}
    )
    assert response.status_code == 302
    assert Membership.objects.get(pk=membership.pk).role == MembershipRole.OBSERVER


def test_last_coordinator_removal_is_a_form_error(project, coordinator, login):
    membership = Membership.objects.get(user=coordinator)
    response = login(coordinator).post(page(project, f"members/{membership.pk}/end/"), {})
    assert response.status_code == 400
    assert "last coordinator" in response.content.decode()
    assert Membership.objects.get(pk=membership.pk).ended_at is None


def test_member_leaves_by_themself(project, partner_member, login):
    response = login(partner_member).post(page(project, "leave/"), {"reason": ""})
    assert response.status_code == 302
    assert Membership.objects.get(user=partner_member).ended_at is not None


def test_outsider_cannot_open_a_membership(project, partner_member, outsider, login):
    membership = Membership.objects.get(user=partner_member)
    assert login(outsider).get(page(project, f"members/{membership.pk}/end/")).status_code == 404
    assert login(outsider).get(page(project, "leave/")).status_code == 404


# --- work packages and biomarkers ----------------------------------------------------------------
def test_coordinator_creates_edits_and_deletes_a_work_package(
    project, coordinator, lead_org, partner_member, login
):
    client = login(coordinator)
    response = client.post(
        page(project, "work-packages/"),
        {
            "number": 2,
            "title": "Biomarker discovery",
            "lead_organisations": [lead_org.pk],
            "members": [partner_member.pk],
        },
    )
    assert response.status_code == 302
    wp = WorkPackage.objects.get(project=project, number=2)
    assert list(wp.members.all()) == [partner_member]
    response = client.post(
        page(project, f"work-packages/{wp.pk}/edit/"), {"number": 3, "title": "Discovery"}
    )
    assert response.status_code == 302
    assert WorkPackage.objects.get(pk=wp.pk).number == 3
    assert client.post(page(project, f"work-packages/{wp.pk}/delete/")).status_code == 302
    assert not WorkPackage.objects.filter(pk=wp.pk).exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"work_package.create", "work_package.update", "work_package.delete"} <= actions


def test_duplicate_work_package_number_is_a_form_error(project, coordinator, login):
    WorkPackageFactory(project=project, number=1)
    response = login(coordinator).post(page(project, "work-packages/"), {"number": 1, "title": "X"})
    assert response.status_code == 400
    assert "already has a WP1" in response.content.decode()


def test_work_package_of_another_project_is_404(project, coordinator, login):
    foreign = WorkPackageFactory()
    response = login(coordinator).get(page(project, f"work-packages/{foreign.pk}/edit/"))
    assert response.status_code == 404


def test_coordinator_records_a_biomarker(project, coordinator, other_org, login):
    response = login(coordinator).post(
        page(project, "biomarkers/"),
        {
            "name": "Periostin",
            "kind": "proteomic",
            "stratum": "Type 2-high asthma",
            "assay": "ELISA",
            "diagnostic_partner": other_org.pk,
            "development_stage": "clinical_validation",
            "regulatory_status": "ruo",
        },
    )
    assert response.status_code == 302
    assert Biomarker.objects.get(project=project).diagnostic_partner == other_org


def test_biomarker_without_a_stratum_is_a_form_error(project, coordinator, login):
    response = login(coordinator).post(
        page(project, "biomarkers/"), {"name": "X", "kind": "genomic", "stratum": ""}
    )
    assert response.status_code == 400
    assert not Biomarker.objects.exists()


def test_coordinator_edits_and_deletes_a_biomarker(project, coordinator, login):
    biomarker = BiomarkerFactory(project=project)
    client = login(coordinator)
    data = {
        "name": "FeNO",
        "kind": "clinical",
        "stratum": "High FeNO",
        "development_stage": "routine_use",
        "regulatory_status": "ce_ukca",
    }
    assert client.post(page(project, f"biomarkers/{biomarker.pk}/edit/"), data).status_code == 302
    assert Biomarker.objects.get(pk=biomarker.pk).name == "FeNO"
    assert client.get(page(project, f"biomarkers/{biomarker.pk}/delete/")).status_code == 200
    assert client.post(page(project, f"biomarkers/{biomarker.pk}/delete/")).status_code == 302
    assert not Biomarker.objects.filter(pk=biomarker.pk).exists()


# --- funders --------------------------------------------------------------------------------------
def test_coordinator_adds_and_removes_a_funder(project, coordinator, funder_org, login):
    client = login(coordinator)
    response = client.post(
        page(project, "funders/"), {"organisation": funder_org.pk, "grant_reference": "MR/X01/1"}
    )
    assert response.status_code == 302
    funder = project.funders.get()
    assert "MR/X01/1" in client.get(page(project)).content.decode()
    assert client.post(page(project, f"funders/{funder.pk}/remove/")).status_code == 302
    assert not project.funders.exists()


def test_a_non_funder_organisation_is_not_offered_as_funder(project, coordinator, other_org, login):
    response = login(coordinator).post(page(project, "funders/"), {"organisation": other_org.pk})
    assert response.status_code == 400


# --- status transitions ---------------------------------------------------------------------------
def test_coordinator_completes_then_archives(project, coordinator, login):
    client = login(coordinator)
    assert client.get(page(project, "status/complete/")).status_code == 200
    assert client.post(page(project, "status/complete/"), {}).status_code == 302
    assert client.post(page(project, "status/archive/"), {}).status_code == 302
    assert Project.objects.get(pk=project.pk).status == ProjectStatus.ARCHIVED


def test_withdrawal_without_reason_is_a_form_error(project, coordinator, login):
    response = login(coordinator).post(page(project, "status/withdraw/"), {"reason": ""})
    assert response.status_code == 400
    assert Project.objects.get(pk=project.pk).status == ProjectStatus.ACTIVE


def test_transitions_by_the_wrong_people(project, partner_member, outsider, login, client):
    assert login(partner_member).post(page(project, "status/complete/")).status_code == 403
    assert login(outsider).post(page(project, "status/complete/")).status_code == 404
    assert login(partner_member).post(page(project, "status/activate/")).status_code == 404


def test_impossible_transition_says_why(project, coordinator, login):
    response = login(coordinator).post(page(project, "status/archive/"), follow=True)
    assert "cannot be archived" in response.content.decode()


# --- propose, my projects, staff queue --------------------------------------------------------
def propose_data(organisation, **changes):
    data = {
        "organisation": organisation.pk,
        "title": "Joint inflammation atlas",
        "acronym": "JIA-ATLAS",
        "summary": "Synovial biopsies to stratify rheumatoid arthritis.",
        "disease_areas": [DiseaseArea.objects.get(slug="rheumatoid-arthritis").pk],
        "start_date": "2027-01-01",
        "end_date": "2030-01-01",
        "summary_visibility": "public",
    }
    return {**data, **changes}


def test_member_proposes_a_project(outsider, other_org, login):
    response = login(outsider).post("/projects/propose/", propose_data(other_org))
    assert response.status_code == 302
    project = Project.objects.get(acronym="JIA-ATLAS")
    assert response["Location"] == f"/projects/{project.slug}/"
    assert project.status == ProjectStatus.PROPOSED


def test_proposal_with_bad_dates_or_duplicate_acronym_saves_nothing(
    outsider, other_org, login, project
):
    client = login(outsider)
    response = client.post("/projects/propose/", propose_data(other_org, end_date="2026-01-01"))
    assert response.status_code == 400
    response = client.post("/projects/propose/", propose_data(other_org, acronym="Respire"))
    assert response.status_code == 400
    assert "already uses the acronym" in response.content.decode()
    assert Project.objects.count() == 1


def test_proposing_for_someone_elses_organisation_is_refused(outsider, lead_org, login):
    response = login(outsider).post("/projects/propose/", propose_data(lead_org))
    assert response.status_code == 400
    assert not Project.objects.filter(acronym="JIA-ATLAS").exists()


def test_unaffiliated_and_anonymous_cannot_propose(unaffiliated, login, client):
    assert client.get("/projects/propose/").status_code == 302
    assert login(unaffiliated).get("/projects/propose/").status_code == 403


def test_my_projects_lists_current_and_past_memberships(project, partner_member, login):
    old = ProjectFactory(acronym="OLDONE")
    MembershipFactory(
        project=old,
        user=partner_member,
        organisation=project.partners.first().organisation,
        ended_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    )
    response = login(partner_member).get("/projects/mine/")
    assert [m.project.acronym for m in response.context["current"]] == ["RESPIRE"]
    assert [m.project.acronym for m in response.context["ended"]] == ["OLDONE"]


def test_my_projects_needs_sign_in(client):
    assert client.get("/projects/mine/").status_code == 302


def test_staff_queue_and_decisions(staff, login, outsider, other_org, partner_member):
    proposed = ProjectFactory(acronym="WAIT", status=ProjectStatus.PROPOSED, proposed_by=outsider)
    PartnerFactory(project=proposed, organisation=other_org, role=PartnerRole.LEAD)
    client = login(staff)
    assert "WAIT" in client.get("/projects/staff/").content.decode()
    response = client.post("/projects/staff/wait/reject/", {"reason": ""})
    assert response.status_code == 400
    assert client.post("/projects/staff/wait/activate/", {}).status_code == 302
    assert Project.objects.get(pk=proposed.pk).status == ProjectStatus.ACTIVE


def test_non_staff_cannot_see_the_queue_or_decide(partner_member, login, client):
    proposed = ProjectFactory(acronym="WAIT", status=ProjectStatus.PROPOSED)
    assert client.get("/projects/staff/").status_code == 302
    member = login(partner_member)
    assert member.get("/projects/staff/").status_code == 403
    assert member.post("/projects/staff/wait/activate/").status_code == 404
    assert Project.objects.get(pk=proposed.pk).status == ProjectStatus.PROPOSED


def _count_queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_project_page_query_count_does_not_grow_with_its_contents(
    project, coordinator, partner_org, login
):
    from tests.accounts.factories import UserFactory
    from tests.organisations.factories import AffiliationFactory, OrganisationFactory

    client = login(coordinator)
    BiomarkerFactory(project=project)
    WorkPackageFactory(project=project, number=1)
    client.get(page(project))  # the first request reads the person's access facts and caches them
    before = _count_queries(client, page(project))
    for n in range(6):
        organisation = OrganisationFactory()
        PartnerFactory(project=project, organisation=organisation)
        person = UserFactory()
        AffiliationFactory(user=person, organisation=organisation)
        MembershipFactory(project=project, user=person, organisation=organisation)
        BiomarkerFactory(project=project)
        wp = WorkPackageFactory(project=project, number=n + 2)
        wp.lead_organisations.add(organisation)
        wp.members.add(person)
    # Built, not served from its fragment, both times: this test's transaction has written the
    # project and not committed (hits: tests/projects/test_page_cache.py).
    assert _count_queries(client, page(project)) == before


def test_consortium_agreement_is_stored_protected_and_downloadable_by_the_consortium_only(
    project, coordinator, partner_org_colleague, outsider, login
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(coordinator)
    upload = SimpleUploadedFile("signed.pdf", b"%PDF-1.7 agreement", content_type="application/pdf")
    response = client.post(
        page(project, "edit/"),
        {**edit_data(project), "consortium_agreement": upload},
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.consortium_agreement.name.startswith("protected/")
    assert "Download (PDF)" in client.get(page(project)).content.decode()
    response = login(partner_org_colleague).get(page(project, "consortium-agreement/"))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.7 agreement"
    assert login(outsider).get(page(project, "consortium-agreement/")).status_code == 404


def test_only_an_admin_of_the_partner_organisation_sees_its_leave_link(
    project, partner_org, partner_org_admin, partner_member, login
):
    partner = project.partners.get(organisation=partner_org)
    leave = f"/projects/{project.slug}/partners/{partner.pk}/leave/"
    assert leave in login(partner_org_admin).get(page(project)).content.decode()
    assert leave not in login(partner_member).get(page(project)).content.decode()
