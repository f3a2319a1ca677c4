"""Affiliations: roles, leaving, the last admin, join requests, verification by domain,
and what suspension and leaving do to rights and grants."""

import pytest
from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from apps.access.models import GrantStatus
from apps.access.policy import can
from apps.audit.models import AuditEvent
from apps.organisations.models import (
    Affiliation,
    AffiliationRole,
    JoinRequest,
    OrganisationDomain,
    OrganisationStatus,
)
from apps.organisations.services import (
    affiliation_create,
    affiliation_demote,
    affiliation_end,
    affiliation_from_verified_email,
    affiliation_promote,
    join_request_approve,
    join_request_create,
    join_request_reject,
    join_request_withdraw,
    organisation_suspend,
)
from tests.access.factories import AccessGrantFactory
from tests.accounts.factories import UserFactory
from tests.organisations.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def _affiliation(user, organisation):
    return Affiliation.objects.current().get(user=user, organisation=organisation)


def test_a_person_may_belong_to_several_organisations(partner_member, other_org, staff):
    affiliation_create(user=partner_member, organisation=other_org, actor=staff, source="staff")
    assert Affiliation.objects.active().filter(user=partner_member).count() == 2


def test_creating_an_existing_affiliation_changes_nothing(partner_member, partner_org, staff):
    first = _affiliation(partner_member, partner_org)
    again = affiliation_create(
        user=partner_member, organisation=partner_org, actor=staff, source="staff"
    )
    assert again.pk == first.pk
    assert Affiliation.objects.filter(user=partner_member).count() == 1


def test_an_admin_promotes_and_demotes_a_member(org_admin, partner_member, partner_org):
    affiliation = _affiliation(partner_member, partner_org)
    affiliation_promote(affiliation=affiliation, actor=org_admin)
    assert _affiliation(partner_member, partner_org).role == AffiliationRole.ADMIN
    affiliation_demote(affiliation=affiliation, actor=org_admin)
    assert _affiliation(partner_member, partner_org).role == AffiliationRole.MEMBER
    events = AuditEvent.objects.filter(action="affiliation.role_change").order_by("id")
    assert [(e.from_state, e.to_state) for e in events] == [
        ("member", "admin"),
        ("admin", "member"),
    ]


def test_the_last_admin_cannot_remove_themself(org_admin, partner_org):
    affiliation = _affiliation(org_admin, partner_org)
    with pytest.raises(ValidationError) as caught:
        affiliation_end(affiliation=affiliation, actor=org_admin)
    assert "only admin" in caught.value.messages[0]
    assert _affiliation(org_admin, partner_org).ended_at is None


def test_the_last_admin_cannot_step_down(org_admin, partner_org):
    with pytest.raises(ValidationError):
        affiliation_demote(affiliation=_affiliation(org_admin, partner_org), actor=org_admin)


def test_an_admin_may_leave_once_another_admin_exists(org_admin, partner_member, partner_org):
    affiliation_promote(affiliation=_affiliation(partner_member, partner_org), actor=org_admin)
    affiliation_end(affiliation=_affiliation(org_admin, partner_org), actor=org_admin)
    assert not Affiliation.objects.current().filter(user=org_admin).exists()
    # History is kept.
    assert Affiliation.objects.filter(user=org_admin, ended_at__isnull=False).exists()


def test_removing_a_member_ends_their_rights_and_suspends_their_grants(
    org_admin, partner_member, partner_org
):
    grant = AccessGrantFactory(request__requester=partner_member, request__organisation=partner_org)
    affiliation_end(affiliation=_affiliation(partner_member, partner_org), actor=org_admin)
    grant.refresh_from_db()
    assert grant.status == GrantStatus.SUSPENDED
    assert not Affiliation.objects.active().filter(user=partner_member).exists()
    event = AuditEvent.objects.get(action="affiliation.end")
    assert event.details["left_themselves"] is False


def test_suspending_an_organisation_suspends_the_grants_that_came_through_it(
    partner_member, partner_org, staff
):
    grant = AccessGrantFactory(request__requester=partner_member, request__organisation=partner_org)
    organisation_suspend(organisation=partner_org, actor=staff, reason="Audit")
    grant.refresh_from_db()
    assert grant.status == GrantStatus.SUSPENDED


def test_suspension_takes_effect_in_the_same_request_cycle(partner_member, partner_org, staff):
    """The suspension bumps the access version in the same transaction: the person's cached
    access facts are re-read at once, with no cache to wait for."""
    assert can(partner_member, "view_details", partner_org)
    organisation_suspend(organisation=partner_org, actor=staff, reason="Audit")
    partner_org.refresh_from_db()
    assert partner_org.status == OrganisationStatus.SUSPENDED
    assert not Affiliation.objects.active().filter(user=partner_member).exists()
    from apps.access.policy.subjects import active_organisation_ids

    assert tuple(active_organisation_ids(partner_member)) == ()


# --- Join requests --------------------------------------------------------------------------


def test_a_join_request_approved_by_an_admin_affiliates_the_person(
    unaffiliated, partner_org, org_admin
):
    join_request = join_request_create(user=unaffiliated, organisation=partner_org, message="Hi")
    affiliation = join_request_approve(join_request=join_request, actor=org_admin)
    assert affiliation.user == unaffiliated and affiliation.role == AffiliationRole.MEMBER
    join_request.refresh_from_db()
    assert join_request.status == JoinRequest.Status.APPROVED
    assert join_request.decided_by == org_admin


def test_a_rejected_join_request_affiliates_nobody(unaffiliated, partner_org, org_admin):
    join_request = join_request_create(user=unaffiliated, organisation=partner_org)
    join_request_reject(join_request=join_request, actor=org_admin, reason="Unknown to us")
    assert not Affiliation.objects.filter(user=unaffiliated).exists()
    with pytest.raises(ValidationError):
        join_request_approve(join_request=join_request, actor=org_admin)


def test_a_person_cannot_ask_twice_or_join_where_they_belong(
    unaffiliated, partner_member, partner_org
):
    join_request_create(user=unaffiliated, organisation=partner_org)
    with pytest.raises(ValidationError):
        join_request_create(user=unaffiliated, organisation=partner_org)
    with pytest.raises(ValidationError):
        join_request_create(user=partner_member, organisation=partner_org)


def test_nobody_can_ask_to_join_a_pending_organisation(unaffiliated):
    pending = OrganisationFactory(status=OrganisationStatus.PENDING)
    with pytest.raises(ValidationError):
        join_request_create(user=unaffiliated, organisation=pending)


def test_only_the_asker_can_withdraw_a_join_request(unaffiliated, outsider, partner_org):
    join_request = join_request_create(user=unaffiliated, organisation=partner_org)
    with pytest.raises(ValidationError):
        join_request_withdraw(join_request=join_request, user=outsider)
    join_request_withdraw(join_request=join_request, user=unaffiliated)
    join_request.refresh_from_db()
    assert join_request.status == JoinRequest.Status.WITHDRAWN


# --- Affiliation on e-mail verification -----------------------------------------------------


@pytest.fixture
def example_domain(partner_org):
    return OrganisationDomain.objects.create(organisation=partner_org, domain="example.ac.uk")


def _confirm(user, email):
    address = EmailAddress.objects.create(user=user, email=email, verified=True)
    request = RequestFactory().get("/")
    email_confirmed.send(sender=EmailAddress, request=request, email_address=address)


def test_verifying_an_address_at_an_approved_domain_affiliates_as_member(
    example_domain, partner_org
):
    person = UserFactory(email="newcomer@example.ac.uk", verified=False)
    _confirm(person, "newcomer@example.ac.uk")
    affiliation = Affiliation.objects.active().get(user=person)
    assert (affiliation.organisation, affiliation.role) == (partner_org, AffiliationRole.MEMBER)
    event = AuditEvent.objects.get(action="affiliation.create")
    assert event.details["source"] == "domain"


def test_a_subdomain_address_affiliates_too(example_domain, partner_org):
    person = UserFactory(email="lab@chem.example.ac.uk", verified=False)
    _confirm(person, "lab@chem.example.ac.uk")
    assert Affiliation.objects.active().get(user=person).organisation == partner_org


def test_the_most_specific_domain_wins(example_domain, other_org):
    OrganisationDomain.objects.create(organisation=other_org, domain="med.example.ac.uk")
    person = UserFactory(verified=False)
    assert (
        affiliation_from_verified_email(user=person, email="a@med.example.ac.uk").organisation
        == other_org
    )


def test_a_domain_of_a_suspended_organisation_affiliates_nobody(example_domain, partner_org):
    partner_org.status = OrganisationStatus.SUSPENDED
    partner_org.save()
    person = UserFactory(verified=False)
    _confirm(person, "p@example.ac.uk")
    assert not Affiliation.objects.filter(user=person).exists()


def test_an_unknown_domain_affiliates_nobody(example_domain):
    person = UserFactory(verified=False)
    _confirm(person, "p@example.com")
    assert not Affiliation.objects.filter(user=person).exists()


def test_verifying_a_second_address_of_a_member_changes_nothing(
    example_domain, partner_member, partner_org
):
    _confirm(partner_member, "second@example.ac.uk")
    assert Affiliation.objects.filter(user=partner_member).count() == 1


def test_suspension_withdraws_consortium_access_in_the_same_request_cycle(
    partner_org, partner_org_colleague, project, staff
):
    """Acceptance 3 against a real item: a consortium-tier dataset of the partner's project."""
    from apps.access.policy import visible
    from apps.core.models import AccessTier
    from apps.datasets.models import Dataset
    from tests.datasets.factories import DatasetFactory

    dataset = DatasetFactory(project=project, access_tier=AccessTier.CONSORTIUM)
    assert visible(partner_org_colleague, Dataset.objects.filter(pk=dataset.pk)).exists()
    organisation_suspend(organisation=partner_org, actor=staff, reason="Audit")
    assert not visible(partner_org_colleague, Dataset.objects.filter(pk=dataset.pk)).exists()


def test_administered_by_lists_only_organisations_the_person_currently_administers(
    org_admin, partner_org, partner_member, other_org, outsider, staff, anonymous
):
    from apps.organisations.models import Organisation

    affiliation_create(
        user=org_admin,
        organisation=other_org,
        role=AffiliationRole.ADMIN,
        actor=staff,
        source="staff",
    )
    assert set(Organisation.objects.administered_by(org_admin)) == {partner_org, other_org}
    affiliation_promote(affiliation=_affiliation(outsider, other_org), actor=staff)
    affiliation_end(affiliation=_affiliation(org_admin, other_org), actor=staff)
    assert list(Organisation.objects.administered_by(org_admin)) == [partner_org]
    assert not Organisation.objects.administered_by(partner_member).exists()
    assert not Organisation.objects.administered_by(anonymous).exists()
