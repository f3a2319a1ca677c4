"""A committee of four that decides by majority with a quorum of three (#18, acceptance 1):
the chair from the NHS trust, a member from the lead pharma company, one from a charity
partner, and one from the requester's own university (always conflicted on their requests).

Import these fixtures beside the access world's (`tests/access/conftest.py`)."""

import pytest

from apps.access.models import DecisionRule
from apps.access.services import access_request_create, access_request_submit
from apps.organisations.models import OrganisationKind
from apps.projects.models import PartnerRole
from tests.access.factories import CommitteeMemberFactory
from tests.accounts.factories import UserFactory
from tests.organisations.factories import AffiliationFactory, OrganisationFactory
from tests.projects.factories import PartnerFactory


def seat(committee, organisation, email: str, first: str, last: str, *, is_chair=False):
    user = UserFactory(email=email, first_name=first, last_name=last)
    AffiliationFactory(user=user, organisation=organisation)
    CommitteeMemberFactory(
        committee=committee, user=user, organisation=organisation, is_chair=is_chair
    )
    return user


@pytest.fixture
def charity_org(db, project):
    org = OrganisationFactory(name="Breathe Easy Charity", kind=OrganisationKind.CHARITY)
    PartnerFactory(project=project, organisation=org, role=PartnerRole.PARTNER)
    return org


@pytest.fixture
def voting_committee(db, committee, nhs_org, lead_org, partner_org, charity_org):
    """(committee, {name: user}) with majority rule and quorum three."""
    committee.decision_rule = DecisionRule.MAJORITY
    committee.quorum = 3
    committee.save()
    members = {
        "chair": seat(committee, nhs_org, "chair@nhs.test", "Chandra", "Chair", is_chair=True),
        "pharma": seat(committee, lead_org, "vote@pharmacorp.test", "Phil", "Pharma"),
        "charity": seat(committee, charity_org, "vote@charity.test", "Cherry", "Charity"),
        "conflicted": seat(committee, partner_org, "vote@example.ac.uk", "Uma", "Versity"),
    }
    return committee, members


@pytest.fixture
def submitted(db, controlled_dataset, partner_member, partner_org, request_data, voting_committee):
    """A request from the university researcher, in review before the voting committee."""
    draft = access_request_create(
        dataset=controlled_dataset,
        requester=partner_member,
        organisation=partner_org,
        data=request_data,
    )
    return access_request_submit(access_request=draft, actor=partner_member)
