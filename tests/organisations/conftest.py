import pytest
from django.test import Client

from apps.organisations.models import AffiliationRole
from tests.accounts.factories import UserFactory
from tests.organisations.factories import AffiliationFactory


@pytest.fixture
def org_admin(db, partner_org):
    """Admin of the partner university (partner_org)."""
    user = UserFactory(email="admin@example.ac.uk", first_name="Ada", last_name="Admin")
    AffiliationFactory(user=user, organisation=partner_org, role=AffiliationRole.ADMIN)
    return user


@pytest.fixture
def login():
    """`login(user)` → a test client signed in as `user` (or anonymous for None)."""

    def make(user=None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make
