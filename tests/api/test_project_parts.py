"""A project's partners, members and biomarkers through the API: the writes the site offers,
through the same services and policy (404 invisible, 403 visible but not allowed)."""

import pytest

from apps.notifications.models import Notification
from apps.organisations.models import AffiliationRole
from apps.projects.models import (
    Biomarker,
    Membership,
    MembershipRole,
    Partner,
    PartnerStatus,
    ProjectStatus,
)
from tests.accounts.factories import UserFactory
from tests.api.conftest import client_for
from tests.organisations.factories import AffiliationFactory
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_admin(other_org):
    person = UserFactory(email="admin@diagnostix.test")
    AffiliationFactory(user=person, organisation=other_org, role=AffiliationRole.ADMIN)
    return person


@pytest.fixture
def invitation(project, other_org, coordinator):
    return Partner.objects.create(
        project=project, organisation=other_org, status=PartnerStatus.INVITED
    )


def url(project, *parts) -> str:
    return "/".join([f"/api/v1/projects/{project.pk}", *map(str, parts)]) + "/"


# --- Partners ------------------------------------------------------------------------------------
def test_a_coordinator_invites_an_organisation_and_its_admins_are_told(
    coordinator, project, other_org, other_admin
):
    response = client_for(coordinator).post(
        url(project, "partners"), {"organisation": str(other_org.pk)}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["organisation"], body["status"], body["role"]) == (
        str(other_org.pk),
        "invited",
        "partner",
    )
    assert Notification.objects.filter(recipient=other_admin, event_type="invitation").exists()


def test_a_contributor_may_not_invite(partner_member, project, other_org):
    response = client_for(partner_member).post(
        url(project, "partners"), {"organisation": str(other_org.pk)}, format="json"
    )
    assert response.status_code == 403
    assert not Partner.objects.filter(organisation=other_org).exists()


def test_an_invisible_project_is_a_404(outsider, other_org, lead_org):
    proposed = ProjectFactory(status=ProjectStatus.PROPOSED)
    response = client_for(outsider).post(
        url(proposed, "partners"), {"organisation": str(lead_org.pk)}, format="json"
    )
    assert response.status_code == 404


def test_a_stale_if_match_invites_no_one(coordinator, project, other_org):
    response = client_for(coordinator).post(
        url(project, "partners"),
        {"organisation": str(other_org.pk)},
        format="json",
        HTTP_IF_MATCH='"not-the-current-one"',
    )
    assert response.status_code == 412
    assert not Partner.objects.filter(organisation=other_org).exists()


def test_the_lead_role_cannot_be_given_by_invitation(coordinator, project, other_org):
    response = client_for(coordinator).post(
        url(project, "partners"), {"organisation": str(other_org.pk), "role": "lead"}, format="json"
    )
    assert response.status_code == 400
    assert "role" in response.json()["errors"]


def test_the_invited_organisations_admin_accepts(other_admin, invitation, project):
    response = client_for(other_admin).post(url(project, "partners", invitation.pk, "accept"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "active" and response.json()["joined_on"]
    invitation.refresh_from_db()
    assert invitation.status == PartnerStatus.ACTIVE


def test_only_the_invited_organisations_admin_answers(coordinator, invitation, project):
    response = client_for(coordinator).post(url(project, "partners", invitation.pk, "decline"))
    assert response.status_code == 403
    invitation.refresh_from_db()
    assert invitation.status == PartnerStatus.INVITED


def test_an_admin_declines_and_cannot_answer_twice(other_admin, invitation, project):
    client = client_for(other_admin)
    declined = client.post(url(project, "partners", invitation.pk, "decline"))
    assert declined.json()["status"] == "declined"
    again = client.post(url(project, "partners", invitation.pk, "accept"))
    assert again.status_code == 400


def test_a_coordinator_removes_a_partner_and_its_memberships_end(
    coordinator, partner_member, project, partner_org
):
    partner = project.partners.get(organisation=partner_org)
    response = client_for(coordinator).post(
        url(project, "partners", partner.pk, "remove"), {"reason": "Left"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "left"
    assert not Membership.objects.current().filter(user=partner_member, project=project).exists()


def test_the_lead_partner_cannot_be_removed(coordinator, project, lead_org):
    lead = project.partners.get(organisation=lead_org)
    response = client_for(coordinator).post(url(project, "partners", lead.pk, "remove"))
    assert response.status_code == 400
    lead.refresh_from_db()
    assert lead.status == PartnerStatus.ACTIVE


# --- Members -------------------------------------------------------------------------------------
def test_a_coordinator_adds_a_member_by_email_or_id(
    coordinator, project, partner_org, partner_org_colleague
):
    client = client_for(coordinator)
    response = client.post(
        url(project, "members"),
        {"email": partner_org_colleague.email.upper(), "organisation": str(partner_org.pk)},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["user"]["id"] == str(partner_org_colleague.pk)
    assert response.json()["role"] == "contributor"
    again = client.post(
        url(project, "members"),
        {"user": str(partner_org_colleague.pk), "organisation": str(partner_org.pk)},
        format="json",
    )
    assert again.status_code == 400  # already a member


def test_someone_outside_the_partner_organisations_cannot_be_added(
    coordinator, project, partner_org, outsider
):
    response = client_for(coordinator).post(
        url(project, "members"),
        {"user": str(outsider.pk), "organisation": str(partner_org.pk)},
        format="json",
    )
    assert response.status_code == 400
    assert not Membership.objects.filter(user=outsider).exists()


def test_a_member_needs_a_user_or_an_email(coordinator, project, partner_org):
    response = client_for(coordinator).post(
        url(project, "members"), {"organisation": str(partner_org.pk)}, format="json"
    )
    assert response.status_code == 400
    assert "email" in response.json()["errors"]


def test_a_coordinator_changes_a_role(coordinator, partner_member, project):
    membership = Membership.objects.get(project=project, user=partner_member)
    response = client_for(coordinator).patch(
        url(project, "members", membership.pk),
        {"role": "observer", "ends_on": "2099-01-01"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert (response.json()["role"], response.json()["ends_on"]) == ("observer", "2099-01-01")


def test_the_last_coordinator_cannot_step_down(coordinator, project):
    membership = Membership.objects.get(project=project, user=coordinator)
    response = client_for(coordinator).patch(
        url(project, "members", membership.pk), {"role": "contributor"}, format="json"
    )
    assert response.status_code == 400
    membership.refresh_from_db()
    assert membership.role == MembershipRole.COORDINATOR


def test_a_member_leaves_but_cannot_end_someone_else(partner_member, coordinator, project):
    own = Membership.objects.get(project=project, user=partner_member)
    other = Membership.objects.get(project=project, user=coordinator)
    client = client_for(partner_member)
    assert client.post(url(project, "members", other.pk, "end")).status_code == 403
    response = client.post(url(project, "members", own.pk, "end"), {"reason": "Moved"})
    assert response.status_code == 200, response.content
    own.refresh_from_db()
    assert own.ended_at is not None


# --- Biomarkers ----------------------------------------------------------------------------------
def test_a_coordinator_adds_changes_and_deletes_a_biomarker(coordinator, project, other_org):
    client = client_for(coordinator)
    created = client.post(
        url(project, "biomarkers"),
        {
            "name": "FeNO",
            "kind": "clinical",
            "stratum": "T2-high asthma",
            "diagnostic_partner": str(other_org.pk),
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    biomarker_id = created.json()["id"]
    assert created.json()["diagnostic_partner"] == str(other_org.pk)
    changed = client.patch(
        url(project, "biomarkers", biomarker_id),
        {"development_stage": "clinical_validation"},
        format="json",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["development_stage"] == "clinical_validation"
    assert changed.json()["name"] == "FeNO"
    deleted = client.delete(url(project, "biomarkers", biomarker_id))
    assert deleted.status_code == 204
    assert not Biomarker.objects.exists()


def test_a_contributor_may_not_touch_biomarkers(partner_member, project):
    biomarker = Biomarker.objects.create(
        project=project, name="IL-5", kind="proteomic", stratum="x"
    )
    client = client_for(partner_member)
    assert (
        client.post(
            url(project, "biomarkers"), {"name": "X", "kind": "other", "stratum": "y"}
        ).status_code
        == 403
    )
    assert client.delete(url(project, "biomarkers", biomarker.pk)).status_code == 403
    assert Biomarker.objects.count() == 1


def test_another_projects_biomarker_is_a_404(coordinator, project):
    elsewhere = Biomarker.objects.create(
        project=ProjectFactory(), name="IL-5", kind="proteomic", stratum="x"
    )
    response = client_for(coordinator).delete(url(project, "biomarkers", elsewhere.pk))
    assert response.status_code == 404
    assert Biomarker.objects.filter(pk=elsewhere.pk).exists()


def test_a_partner_replaying_the_feed_sees_the_project_change(
    partner_member, coordinator, project, other_org, other_admin
):
    client = client_for(partner_member)
    cursor = client.get("/api/v1/changes/?since=latest").json()["cursor"]
    client_for(coordinator).post(
        url(project, "biomarkers"), {"name": "FeNO", "kind": "clinical", "stratum": "T2"}
    )
    client_for(coordinator).post(url(project, "partners"), {"organisation": str(other_org.pk)})
    body = client.get(f"/api/v1/changes/?since={cursor}").json()
    projects = [i for i in body["results"] if i["resource"] == "project"]
    assert [i["id"] for i in projects] == [str(project.pk)]
    data = projects[0]["data"]
    assert [b["name"] for b in data["biomarkers"]] == ["FeNO"]
    assert str(other_org.pk) in {p["organisation"] for p in data["partners"]}


def test_updated_since_counts_a_change_to_a_projects_parts(coordinator, project, partner_member):
    from django.utils import timezone

    client = client_for(partner_member)
    since = timezone.now().isoformat()
    listed = client.get("/api/v1/projects/", {"updated_since": since}).json()["results"]
    assert str(project.pk) not in {row["id"] for row in listed}
    client_for(coordinator).post(
        url(project, "biomarkers"), {"name": "FeNO", "kind": "clinical", "stratum": "T2"}
    )
    listed = client.get("/api/v1/projects/", {"updated_since": since}).json()["results"]
    assert [row["id"] for row in listed] == [str(project.pk)]
    assert listed[0]["biomarkers"][0]["name"] == "FeNO"
