"""A token's last-use bookkeeping writes at most once a minute, whichever address calls."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.models import ApiToken
from apps.api.tokens import api_token_create
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db


def _updates(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith('UPDATE "accounts_apitoken"')]


def _client(plaintext: str, ip: str):
    client = client_for()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}", REMOTE_ADDR=ip)
    return client


def test_last_use_is_written_once_a_minute_per_token_whatever_the_address(partner_member):
    issued = api_token_create(user=partner_member, name="LIMS", scopes=["read"])
    with CaptureQueriesContext(connection) as first:
        assert _client(issued.plaintext, "192.0.2.10").get("/api/v1/projects/").status_code == 200
    with CaptureQueriesContext(connection) as again:
        assert _client(issued.plaintext, "192.0.2.11").get("/api/v1/projects/").status_code == 200
    assert len(_updates(first)) == 1 and _updates(again) == []
    token = ApiToken.objects.get(pk=issued.token.pk)
    assert token.last_used_ip == "192.0.2.10"


def test_a_minute_later_the_next_use_is_recorded_with_its_address(partner_member):
    issued = api_token_create(user=partner_member, name="LIMS", scopes=["read"])
    _client(issued.plaintext, "192.0.2.10").get("/api/v1/projects/")
    earlier = timezone.now() - timedelta(seconds=61)
    ApiToken.objects.filter(pk=issued.token.pk).update(last_used_at=earlier)
    assert _client(issued.plaintext, "192.0.2.11").get("/api/v1/projects/").status_code == 200
    token = ApiToken.objects.get(pk=issued.token.pk)
    assert token.last_used_ip == "192.0.2.11" and token.last_used_at > earlier


def _fields(obj) -> dict:
    return {name: value for name, value in vars(obj).items() if not name.startswith("_")}


def test_the_compiled_token_lookup_gives_what_the_queryset_gives(partner_member):
    """`token_find` executes a statement compiled once (apps.core.compiled.FirstInstance): the
    token, its holder and the holder's access version are what the ORM would build."""
    from apps.api.tokens import _token_with_holder, token_find, token_hash

    issued = api_token_create(user=partner_member, name="LIMS", scopes=["read", "write"])
    for _ in range(2):  # compiled on the first call, reused on the second
        found = token_find(issued.plaintext)
        expected = _token_with_holder(token_hash(issued.plaintext)).get()
        assert _fields(found) == _fields(expected)
        assert _fields(found.user) == _fields(expected.user)
        assert found.holder_access_version == expected.holder_access_version is not None
        assert found.has_scope(ApiToken.Scope.WRITE) and not found._state.adding
    # Change the last character to one it is not (a random token ends in "x" one time in 64).
    other_last = "y" if issued.plaintext.endswith("x") else "x"
    assert token_find(issued.plaintext[:-1] + other_last) is None
    ApiToken.objects.filter(pk=issued.token.pk).update(token_hash="0" * 64)
    assert token_find(issued.plaintext) is None
