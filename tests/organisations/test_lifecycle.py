"""Proposal, staff decisions and profile edits (services)."""

import pytest
from django.core.exceptions import ValidationError

from apps.audit.models import AuditEvent
from apps.notifications.models import EventType, Notification
from apps.organisations.models import (
    Affiliation,
    AffiliationRole,
    Organisation,
    OrganisationKind,
    OrganisationStatus,
)
from apps.organisations.services import (
    organisation_approve,
    organisation_domain_add,
    organisation_domain_remove,
    organisation_propose,
    organisation_reinstate,
    organisation_reject,
    organisation_suspend,
    organisation_update,
)
from tests.accounts.factories import UserFactory
from tests.organisations.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def _propose(user, **extra):
    fields = {
        "name": "Kelvin Institute",
        "kind": OrganisationKind.UNIVERSITY,
        "country": "GB",
        "ror_id": "02jx3x895",
        "domains": ["kelvin.ac.uk"],
    }
    return organisation_propose(proposer=user, **{**fields, **extra})


def test_a_proposal_is_pending_with_its_proposer_as_admin(unaffiliated):
    organisation = _propose(unaffiliated)
    assert organisation.status == OrganisationStatus.PENDING
    assert organisation.slug == "kelvin-institute"
    assert [d.domain for d in organisation.domains.all()] == ["kelvin.ac.uk"]
    affiliation = Affiliation.objects.get(organisation=organisation)
    assert affiliation.user == unaffiliated and affiliation.role == AffiliationRole.ADMIN
    # A pending organisation's affiliation carries no rights yet.
    assert not Affiliation.objects.active().filter(organisation=organisation).exists()
    assert AuditEvent.objects.filter(
        action="organisation.propose", target_id=organisation.pk
    ).exists()


def test_a_proposal_notifies_every_active_staff_member(unaffiliated, staff):
    UserFactory(is_staff=True, is_active=False)
    organisation = _propose(unaffiliated)
    notifications = Notification.objects.filter(event_type=EventType.ORGANISATION_PENDING)
    assert [n.recipient for n in notifications] == [staff]
    assert notifications[0].target_id == str(organisation.pk)
    assert notifications[0].url == "/organisations/staff/"


def test_names_are_unique_whatever_their_case(unaffiliated):
    _propose(unaffiliated)
    with pytest.raises(ValidationError):
        _propose(unaffiliated, name="KELVIN institute", ror_id="", domains=[])


def test_slugs_avoid_the_page_names_under_organisations(unaffiliated):
    organisation = _propose(unaffiliated, name="Staff", ror_id="", domains=[])
    assert organisation.slug == "staff-2"


def test_a_wrong_ror_check_digit_refuses_the_proposal_and_saves_nothing(unaffiliated):
    with pytest.raises(ValidationError) as caught:
        _propose(unaffiliated, ror_id="02jx3x894")
    assert "ror_id" in caught.value.message_dict
    assert not Organisation.objects.exists()


def test_staff_approve_a_pending_organisation(unaffiliated, staff):
    organisation = _propose(unaffiliated)
    organisation_approve(organisation=organisation, actor=staff)
    organisation.refresh_from_db()
    assert organisation.status == OrganisationStatus.APPROVED
    assert Affiliation.objects.active().filter(user=unaffiliated).exists()
    event = AuditEvent.objects.get(action="organisation.approve")
    assert (event.from_state, event.to_state, event.actor) == ("pending", "approved", staff)


def test_approval_affiliates_people_already_verified_at_the_domain(unaffiliated, staff):
    early = UserFactory(email="early@kelvin.ac.uk")
    organisation = _propose(unaffiliated)
    assert not Affiliation.objects.filter(user=early).exists()
    organisation_approve(organisation=organisation, actor=staff)
    assert Affiliation.objects.active().get(user=early).organisation == organisation


def test_rejection_needs_a_reason(unaffiliated, staff):
    organisation = _propose(unaffiliated)
    with pytest.raises(ValidationError) as caught:
        organisation_reject(organisation=organisation, actor=staff, reason="  ")
    assert "reason" in caught.value.message_dict
    organisation_reject(organisation=organisation, actor=staff, reason="Duplicate of UCL")
    organisation.refresh_from_db()
    assert organisation.status == OrganisationStatus.REJECTED
    assert organisation.status_reason == "Duplicate of UCL"


def test_an_approved_organisation_cannot_be_approved_twice(partner_org, staff):
    with pytest.raises(ValidationError):
        organisation_approve(organisation=partner_org, actor=staff)


def test_suspension_removes_affiliation_rights_at_once_and_reinstating_restores_them(
    partner_org, partner_member, staff
):
    assert Affiliation.objects.active().filter(user=partner_member).exists()
    organisation_suspend(organisation=partner_org, actor=staff, reason="Data breach under review")
    assert not Affiliation.objects.active().filter(user=partner_member).exists()
    event = AuditEvent.objects.get(action="organisation.suspend")
    assert event.reason == "Data breach under review"
    organisation_reinstate(organisation=partner_org, actor=staff)
    assert Affiliation.objects.active().filter(user=partner_member).exists()


def test_suspension_needs_a_reason(partner_org, staff):
    with pytest.raises(ValidationError):
        organisation_suspend(organisation=partner_org, actor=staff, reason="")
    partner_org.refresh_from_db()
    assert partner_org.status == OrganisationStatus.APPROVED


def test_only_a_suspended_organisation_can_be_reinstated(partner_org, staff):
    with pytest.raises(ValidationError):
        organisation_reinstate(organisation=partner_org, actor=staff)


def test_a_profile_edit_keeps_the_slug_and_audits_what_changed(partner_org, staff):
    slug = partner_org.slug
    organisation_update(
        organisation=partner_org,
        actor=staff,
        data={"name": "Example University", "ror_id": "https://ror.org/052gg0110"},
    )
    partner_org.refresh_from_db()
    assert (partner_org.name, partner_org.slug, partner_org.ror_id) == (
        "Example University",
        slug,
        "052gg0110",
    )
    event = AuditEvent.objects.get(action="organisation.update")
    assert event.details["changed"]["name"] == {
        "from": "University of Example",
        "to": "Example University",
    }


def test_a_domain_added_later_affiliates_people_already_verified_there(partner_org, staff):
    direct = UserFactory(email="direct@example.ac.uk")
    elsewhere = UserFactory(email="someone@example.com")
    organisation_domain_add(organisation=partner_org, actor=staff, domain="example.ac.uk")
    assert Affiliation.objects.active().get(user=direct).organisation == partner_org
    assert not Affiliation.objects.filter(user=elsewhere).exists()
    assert AuditEvent.objects.filter(action="organisation.domain_add").count() == 1


def test_a_pending_organisations_domain_affiliates_nobody_yet(unaffiliated):
    UserFactory(email="early@kelvin.ac.uk")
    organisation = _propose(unaffiliated)
    assert list(Affiliation.objects.filter(organisation=organisation)) == [
        Affiliation.objects.get(user=unaffiliated)
    ]


def test_a_domain_claimed_by_another_organisation_is_refused(partner_org, other_org, staff):
    organisation_domain_add(organisation=partner_org, actor=staff, domain="example.ac.uk")
    with pytest.raises(ValidationError):
        organisation_domain_add(organisation=other_org, actor=staff, domain="EXAMPLE.ac.uk")


def test_removing_a_domain_is_audited(partner_org, staff):
    domain = organisation_domain_add(organisation=partner_org, actor=staff, domain="example.ac.uk")
    organisation_domain_remove(domain=domain, actor=staff)
    assert not partner_org.domains.exists()
    assert AuditEvent.objects.filter(action="organisation.domain_remove").exists()


def test_two_organisations_cannot_share_a_ror_id(staff):
    OrganisationFactory(name="UCL", ror_id="02jx3x895")
    other = OrganisationFactory(name="Elsewhere")
    with pytest.raises(ValidationError):
        organisation_update(organisation=other, actor=staff, data={"ror_id": "02jx3x895"})


def test_a_person_may_have_three_proposals_waiting_at_most(unaffiliated):
    for n in range(3):
        _propose(unaffiliated, name=f"Lab {n}", ror_id="", domains=[])
    with pytest.raises(ValidationError) as caught:
        _propose(unaffiliated, name="Lab 4", ror_id="", domains=[])
    assert "3 proposals awaiting approval" in caught.value.messages[0]


def test_clearing_the_logo_leaves_no_logo(partner_org, staff):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.organisations.test_validators import _image

    organisation_update(
        organisation=partner_org,
        actor=staff,
        data={"logo": SimpleUploadedFile("logo.png", _image())},
    )
    assert partner_org.logo
    organisation_update(organisation=partner_org, actor=staff, data={"logo": False})
    partner_org.refresh_from_db()
    assert not partner_org.logo and partner_org.logo.name == ""
