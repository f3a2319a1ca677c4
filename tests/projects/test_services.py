import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.diseases.models import DiseaseArea
from apps.notifications.models import EventType, Notification
from apps.projects.models import (
    Membership,
    MembershipRole,
    Partner,
    PartnerRole,
    PartnerStatus,
    Project,
    ProjectStatus,
)
from apps.projects.services import (
    membership_add,
    membership_change_role,
    membership_end,
    partner_accept,
    partner_decline,
    partner_invite,
    partner_leave,
    project_activate,
    project_archive,
    project_complete,
    project_propose,
    project_reject,
    project_update,
    project_withdraw,
)
from tests.organisations.factories import AffiliationFactory
from tests.projects.factories import MembershipFactory, PartnerFactory, ProjectFactory

pytestmark = pytest.mark.django_db
TOMORROW = timezone.localdate() + datetime.timedelta(days=1)


def propose(user, organisation, **extra):
    fields = {
        "proposer": user,
        "organisation": organisation,
        "title": "Airway inflammation endotypes",
        "acronym": "AIRE",
        "summary": "Stratifying severe asthma by inflammatory endotype.",
        "disease_areas": [DiseaseArea.objects.get(slug="asthma")],
        "start_date": datetime.date(2027, 1, 1),
        "end_date": datetime.date(2030, 12, 31),
    }
    return project_propose(**{**fields, **extra})


# --- proposal and staff decision ---------------------------------------------------------
def test_proposal_makes_the_organisation_lead_and_the_proposer_coordinator(outsider, other_org):
    project = propose(outsider, other_org)
    assert project.status == ProjectStatus.PROPOSED
    lead = project.partners.get()
    assert (lead.organisation, lead.role, lead.status) == (
        other_org,
        PartnerRole.LEAD,
        PartnerStatus.ACTIVE,
    )
    coordinator = project.memberships.get()
    assert (coordinator.user, coordinator.role) == (outsider, MembershipRole.COORDINATOR)
    assert project.disease_area_names == "Asthma"
    assert AuditEvent.objects.filter(action="project.propose", target_id=str(project.pk)).exists()


def test_proposal_notifies_staff(outsider, other_org, staff):
    project = propose(outsider, other_org)
    notice = Notification.objects.get(recipient=staff, target_id=str(project.pk))
    assert notice.event_type == EventType.PROJECT_PENDING


def test_person_without_an_approved_organisation_cannot_propose(unaffiliated, other_org):
    with pytest.raises(ValidationError) as caught:
        propose(unaffiliated, other_org)
    assert "organisation" in caught.value.message_dict
    assert not Project.objects.filter(acronym="AIRE").exists()


def test_duplicate_acronym_in_another_case_is_refused_and_nothing_is_saved(
    outsider, other_org, project
):
    with pytest.raises(ValidationError) as caught:
        propose(outsider, other_org, acronym="respire")
    assert "already uses the acronym “respire”" in caught.value.message_dict["acronym"][0]
    assert Project.objects.count() == 1
    assert not Partner.objects.filter(organisation=other_org).exists()


def test_end_date_before_start_date_is_refused(outsider, other_org):
    with pytest.raises(ValidationError) as caught:
        propose(outsider, other_org, end_date=datetime.date(2026, 1, 1))
    assert "end_date" in caught.value.message_dict
    assert not Project.objects.exists()


def test_staff_activate_and_the_coordinator_is_told(outsider, other_org, staff):
    project = propose(outsider, other_org)
    project_activate(actor=staff, project=project)
    project.refresh_from_db()
    assert project.status == ProjectStatus.ACTIVE
    event = AuditEvent.objects.get(action="project.activate")
    assert (event.from_state, event.to_state) == ("proposed", "active")
    assert Notification.objects.filter(
        recipient=outsider, event_type=EventType.MEMBERSHIP_CHANGED
    ).exists()


def test_rejection_needs_a_reason(outsider, other_org, staff):
    project = propose(outsider, other_org)
    with pytest.raises(ValidationError):
        project_reject(actor=staff, project=project, reason="  ")
    project_reject(actor=staff, project=project, reason="Duplicates RESPIRE.")
    project.refresh_from_db()
    assert (project.status, project.status_reason) == ("rejected", "Duplicates RESPIRE.")


def test_a_coordinator_cannot_activate_their_own_project(outsider, other_org):
    project = propose(outsider, other_org)
    with pytest.raises(PermissionDenied):
        project_activate(actor=outsider, project=project)


def test_state_machine_refuses_impossible_edges(project, coordinator, staff):
    with pytest.raises(ValidationError):
        project_activate(actor=staff, project=project)  # already active
    with pytest.raises(ValidationError):
        project_archive(actor=coordinator, project=project)  # not completed yet
    project_complete(actor=coordinator, project=project)
    project_archive(actor=coordinator, project=project)
    with pytest.raises(ValidationError):
        project_withdraw(actor=staff, project=project, reason="Too late")


def test_withdrawal_needs_a_reason_and_a_coordinator_or_staff(project, coordinator, partner_member):
    with pytest.raises(PermissionDenied):
        project_withdraw(actor=partner_member, project=project, reason="No")
    with pytest.raises(ValidationError):
        project_withdraw(actor=coordinator, project=project, reason="")
    project_withdraw(actor=coordinator, project=project, reason="Funding ended.")
    assert Project.objects.get(pk=project.pk).status == ProjectStatus.WITHDRAWN


# --- updates ------------------------------------------------------------------------------
def test_update_records_changed_fields_and_refreshes_search_names(project, coordinator):
    cancer = DiseaseArea.objects.get(slug="cancer")
    project_update(actor=coordinator, project=project, title="New title", disease_areas=[cancer])
    project.refresh_from_db()
    assert (project.title, project.disease_area_names) == ("New title", "Cancer")
    event = AuditEvent.objects.get(action="project.update")
    assert set(event.details["fields"]) == {"title", "disease_areas"}


def test_partner_member_cannot_update(project, partner_member):
    with pytest.raises(PermissionDenied):
        project_update(actor=partner_member, project=project, title="Hijacked")


def test_invalid_update_changes_nothing(project, coordinator):
    other = ProjectFactory(acronym="OTHER")
    with pytest.raises(ValidationError):
        project_update(actor=coordinator, project=project, title="Changed", acronym="other")
    project.refresh_from_db()
    assert (project.title, project.acronym) == ("Respiratory stratification", "RESPIRE")
    assert other.acronym == "OTHER"


# --- partners -------------------------------------------------------------------------------
def test_invited_organisation_admin_accepts(project, coordinator, other_org, other_org_admin):
    partner = partner_invite(actor=coordinator, project=project, organisation=other_org)
    assert Notification.objects.filter(
        recipient=other_org_admin, event_type=EventType.INVITATION
    ).exists()
    partner_accept(actor=other_org_admin, partner=partner)
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.ACTIVE
    assert partner.joined_on == timezone.localdate()
    assert Notification.objects.filter(recipient=coordinator, project=project).exists()


def test_only_an_admin_of_the_invited_organisation_may_answer(
    project, coordinator, other_org, outsider, staff
):
    partner = partner_invite(actor=coordinator, project=project, organisation=other_org)
    for person in (outsider, staff, coordinator):
        with pytest.raises(PermissionDenied):
            partner_accept(actor=person, partner=partner)


def test_declined_invitation_can_be_renewed(project, coordinator, other_org, other_org_admin):
    partner = partner_invite(actor=coordinator, project=project, organisation=other_org)
    partner_decline(actor=other_org_admin, partner=partner)
    assert Partner.objects.get(pk=partner.pk).status == PartnerStatus.DECLINED
    again = partner_invite(actor=coordinator, project=project, organisation=other_org)
    assert again.status == PartnerStatus.INVITED


def test_inviting_a_pending_organisation_is_a_clear_error(project, coordinator, pending_org):
    with pytest.raises(ValidationError) as caught:
        partner_invite(actor=coordinator, project=project, organisation=pending_org)
    assert "not an approved organisation" in caught.value.message_dict["organisation"][0]
    assert not project.partners.filter(organisation=pending_org).exists()


def test_inviting_a_current_partner_again_is_refused(project, coordinator, partner_org):
    with pytest.raises(ValidationError) as caught:
        partner_invite(actor=coordinator, project=project, organisation=partner_org)
    assert "already a partner" in caught.value.message_dict["organisation"][0]


def test_contributor_cannot_invite(project, partner_member, other_org):
    with pytest.raises(PermissionDenied):
        partner_invite(actor=partner_member, project=project, organisation=other_org)


def test_leaving_partner_ends_its_memberships_but_keeps_them(
    project, coordinator, partner_member, partner_org, partner_org_admin
):
    partner = project.partners.get(organisation=partner_org)
    partner_leave(actor=partner_org_admin, partner=partner, reason="Merged elsewhere")
    partner.refresh_from_db()
    assert partner.status == PartnerStatus.LEFT and partner.left_on == timezone.localdate()
    membership = Membership.objects.get(user=partner_member)
    assert membership.ended_at is not None
    assert AuditEvent.objects.filter(action="membership.end").exists()


def test_lead_partner_cannot_leave(project, coordinator, lead_org):
    with pytest.raises(ValidationError):
        partner_leave(actor=coordinator, partner=project.partners.get(organisation=lead_org))


# --- memberships ------------------------------------------------------------------------------
def test_coordinator_adds_a_person_from_a_partner_and_they_are_told(
    project, coordinator, partner_org_colleague, partner_org
):
    membership = membership_add(
        actor=coordinator, project=project, user=partner_org_colleague, organisation=partner_org
    )
    assert membership.role == MembershipRole.CONTRIBUTOR
    assert Notification.objects.filter(
        recipient=partner_org_colleague, event_type=EventType.MEMBERSHIP_CHANGED
    ).exists()
    assert AuditEvent.objects.filter(action="membership.add").exists()


def test_people_from_non_partner_organisations_cannot_be_added(
    project, coordinator, outsider, other_org, partner_org
):
    with pytest.raises(ValidationError) as caught:
        membership_add(actor=coordinator, project=project, user=outsider, organisation=other_org)
    assert "not an active partner" in caught.value.message_dict["organisation"][0]
    with pytest.raises(ValidationError) as caught:
        membership_add(actor=coordinator, project=project, user=outsider, organisation=partner_org)
    assert "not a current member" in caught.value.message_dict["email"][0]


def test_observer_needs_an_end_date(project, coordinator, partner_org_colleague, partner_org):
    with pytest.raises(ValidationError) as caught:
        membership_add(
            actor=coordinator,
            project=project,
            user=partner_org_colleague,
            organisation=partner_org,
            role=MembershipRole.OBSERVER,
        )
    assert "ends_on" in caught.value.message_dict
    membership_add(
        actor=coordinator,
        project=project,
        user=partner_org_colleague,
        organisation=partner_org,
        role=MembershipRole.OBSERVER,
        ends_on=TOMORROW,
    )


def test_last_coordinator_can_neither_leave_nor_be_demoted(project, coordinator):
    membership = Membership.objects.get(user=coordinator)
    with pytest.raises(ValidationError):
        membership_end(actor=coordinator, membership=membership)
    with pytest.raises(ValidationError):
        membership_change_role(
            actor=coordinator, membership=membership, role=MembershipRole.CONTRIBUTOR
        )
    assert Membership.objects.get(pk=membership.pk).ended_at is None


def test_with_a_second_coordinator_the_first_may_leave(project, coordinator, partner_member):
    second = Membership.objects.get(user=partner_member)
    membership_change_role(actor=coordinator, membership=second, role=MembershipRole.COORDINATOR)
    membership_end(actor=coordinator, membership=Membership.objects.get(user=coordinator))
    assert Membership.objects.get(user=coordinator).ended_at is not None
    assert AuditEvent.objects.filter(action="membership.leave").exists()


def test_ended_membership_is_kept_and_the_person_can_be_added_again(
    project, coordinator, partner_member, partner_org
):
    first = Membership.objects.get(user=partner_member)
    membership_end(actor=coordinator, membership=first)
    again = membership_add(
        actor=coordinator, project=project, user=partner_member, organisation=partner_org
    )
    assert Membership.objects.filter(user=partner_member).count() == 2
    assert again.pk != first.pk


def test_contributor_cannot_remove_others_but_can_leave(project, coordinator, partner_member):
    with pytest.raises(PermissionDenied):
        membership_end(actor=partner_member, membership=Membership.objects.get(user=coordinator))
    membership_end(actor=partner_member, membership=Membership.objects.get(user=partner_member))


def test_membership_past_its_end_date_gives_no_rights(project, partner_org):
    from apps.access.policy import Action, can
    from tests.accounts.factories import UserFactory

    person = UserFactory()
    AffiliationFactory(user=person, organisation=partner_org)
    MembershipFactory(
        project=project,
        user=person,
        organisation=partner_org,
        ends_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    assert not can(person, Action.CONTRIBUTE, project)


def test_partner_factory_still_builds_active_partners():
    partner = PartnerFactory()
    assert partner.status == PartnerStatus.ACTIVE


def test_an_archived_project_is_a_record_that_no_longer_changes(project, coordinator):
    from apps.projects.services import biomarker_create

    project_complete(actor=coordinator, project=project)
    project_archive(actor=coordinator, project=project)
    project.refresh_from_db()
    with pytest.raises(ValidationError):
        project_update(actor=coordinator, project=project, title="Rewritten history")
    with pytest.raises(ValidationError):
        biomarker_create(actor=coordinator, project=project, name="X", kind="genomic", stratum="Y")
    assert Project.objects.get(pk=project.pk).title == "Respiratory stratification"
