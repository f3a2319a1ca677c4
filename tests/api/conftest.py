"""API test helpers: clients authenticated with real tokens made by the token services."""

import pytest
from rest_framework.test import APIClient

from apps.api.tokens import api_token_create


def token_for(user, scopes=("read", "write"), days: int = 90) -> str:
    return api_token_create(user=user, name="test", scopes=scopes, expires_days=days).plaintext


def client_for(user=None, scopes=("read", "write")) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user, scopes)}")
    return client


@pytest.fixture
def api():
    """`api(user, scopes=...)` → an APIClient sending that user's new token."""
    return client_for


# The access engineer's committee fixtures, so the policy matrix world can be reused here.
from tests.access.conftest import committee, dac_member, nhs_org  # noqa: E402,F401
