"""API token hygiene beyond the API engineer's tests: use and refusals audited (capped),
a deactivated owner's token refused, the comparison constant-time, the expiry bounds."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import ApiToken
from apps.api import tokens
from apps.api.tokens import api_token_create, api_token_revoke
from apps.audit.models import AuditEvent
from apps.security import services

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_token_use_is_audited_once_per_address_and_day(partner_member):
    issued = api_token_create(user=partner_member, name="LIMS", scopes=["read"])
    client = bearer(issued.plaintext)
    for _ in range(3):
        assert client.get("/api/v1/datasets/").status_code == 200
    events = AuditEvent.objects.filter(action="api_token.use")
    assert events.count() == 1
    event = events.get()
    assert (event.actor_id, event.target_id) == (partner_member.pk, str(issued.token.pk))
    assert issued.plaintext not in str(event.details)


def test_a_refused_token_is_audited_with_its_public_prefix_only(db):
    raw = tokens.token_generate()
    assert bearer(raw).get("/api/v1/datasets/").status_code == 401
    event = AuditEvent.objects.get(action="api_token.refused")
    assert event.target_repr == raw[: tokens.DISPLAY_PREFIX_LENGTH]
    assert raw not in str(event.details) and event.target_repr != raw


def test_refused_token_audit_is_capped(db):
    for _ in range(services.FAILED_SIGNIN_AUDIT_LIMIT + 5):
        bearer("strat_not-a-real-token").get("/api/v1/datasets/")
    assert AuditEvent.objects.filter(action="api_token.refused").count() == (
        services.FAILED_SIGNIN_AUDIT_LIMIT
    )


def test_a_deactivated_owners_token_stops_on_the_next_request(partner_member):
    issued = api_token_create(user=partner_member, name="LIMS", scopes=["read"])
    client = bearer(issued.plaintext)
    assert client.get("/api/v1/datasets/").status_code == 200
    partner_member.is_active = False
    partner_member.save()
    assert client.get("/api/v1/datasets/").status_code == 401


def test_revocation_is_effective_on_the_very_next_request(partner_member):
    issued = api_token_create(user=partner_member, name="LIMS", scopes=["read"])
    client = bearer(issued.plaintext)
    assert client.get("/api/v1/datasets/").status_code == 200
    api_token_revoke(token=issued.token, actor=partner_member)
    assert client.get("/api/v1/datasets/").status_code == 401


def test_the_stored_hash_is_compared_in_constant_time(partner_member, monkeypatch):
    issued = api_token_create(user=partner_member, name="LIMS", scopes=["read"])
    compared = []
    real = tokens.hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(tokens.hmac, "compare_digest", spy)
    assert tokens.token_find(issued.plaintext) == issued.token
    assert (issued.token.token_hash, tokens.token_hash(issued.plaintext)) in compared


def test_nothing_but_the_hash_and_a_public_prefix_is_at_rest(partner_member):
    issued = api_token_create(user=partner_member, name="LIMS", scopes=["read"])
    row = ApiToken.objects.values().get(pk=issued.token.pk)
    secret_part = issued.plaintext[tokens.DISPLAY_PREFIX_LENGTH :]
    assert all(secret_part not in str(value) for value in row.values())


@pytest.mark.parametrize("days", [0, 366, -1])
def test_an_expiry_outside_one_day_to_one_year_is_refused(partner_member, days):
    with pytest.raises(ValidationError):
        api_token_create(user=partner_member, name="LIMS", scopes=["read"], expires_days=days)


def test_the_default_expiry_is_ninety_days(partner_member):
    issued = api_token_create(user=partner_member, name="LIMS", scopes=["read"])
    expected = timezone.now() + timedelta(days=90)
    assert abs((issued.token.expires_at - expected).total_seconds()) < 60
