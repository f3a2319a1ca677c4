import pytest

from apps.organisations.models import AffiliationRole, OrganisationKind, OrganisationStatus
from tests.accounts.factories import UserFactory
from tests.organisations.factories import AffiliationFactory, OrganisationFactory


@pytest.fixture
def other_org_admin(db, other_org):
    """An admin of the diagnostics firm that is not (yet) in the project."""
    user = UserFactory(email="admin@diagnostix.test", first_name="Ada", last_name="Admin")
    AffiliationFactory(user=user, organisation=other_org, role=AffiliationRole.ADMIN)
    return user


@pytest.fixture
def partner_org_admin(db, partner_org):
    user = UserFactory(email="admin@example.ac.uk", first_name="Uma", last_name="Admin")
    AffiliationFactory(user=user, organisation=partner_org, role=AffiliationRole.ADMIN)
    return user


@pytest.fixture
def pending_org(db):
    return OrganisationFactory(
        name="Newco Genomics", kind=OrganisationKind.DIAGNOSTICS, status=OrganisationStatus.PENDING
    )


@pytest.fixture
def funder_org(db):
    return OrganisationFactory(name="Medical Research Fund", kind=OrganisationKind.FUNDER)


@pytest.fixture
def login(client):
    """`login(user)` signs the test client in as `user` and returns it."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
