import pytest

from apps.projects.models import Partner, PartnerStatus, ProjectStatus
from tests.projects.factories import ProjectFactory

pytestmark = pytest.mark.django_db


def section(client, title):
    for item in client.get("/").context["dashboard_sections"]:
        if item["title"] == title:
            return item
    return None


def test_staff_see_projects_awaiting_activation(client, staff, outsider):
    ProjectFactory(acronym="WAITING", status=ProjectStatus.PROPOSED, proposed_by=outsider)
    client.force_login(staff)
    found = section(client, "Projects awaiting activation")
    assert [item["label"].split(" — ")[0] for item in found["items"]] == ["WAITING"]


def test_others_do_not_get_the_staff_queue(client, partner_member):
    client.force_login(partner_member)
    assert section(client, "Projects awaiting activation") is None


def test_organisation_admin_sees_project_invitations(client, project, other_org, other_org_admin):
    Partner.objects.create(project=project, organisation=other_org, status=PartnerStatus.INVITED)
    client.force_login(other_org_admin)
    found = section(client, "Project invitations for your organisation")
    assert found["items"][0]["label"] == "RESPIRE invites Diagnostix"


def test_plain_members_get_no_invitation_section(client, partner_member):
    client.force_login(partner_member)
    assert section(client, "Project invitations for your organisation") is None


def test_my_projects_section_lists_current_memberships(client, partner_member):
    client.force_login(partner_member)
    found = section(client, "My projects")
    assert [item["url"] for item in found["items"]] == ["/projects/respire/"]


def test_coordinator_sees_invitations_still_unanswered(client, project, coordinator, other_org):
    Partner.objects.create(project=project, organisation=other_org, status=PartnerStatus.INVITED)
    client.force_login(coordinator)
    found = section(client, "Partner invitations awaiting an answer")
    assert [item["label"] for item in found["items"]] == ["Diagnostix — RESPIRE"]


def test_non_coordinators_get_no_sent_invitations_section(client, partner_member):
    client.force_login(partner_member)
    assert section(client, "Partner invitations awaiting an answer") is None
