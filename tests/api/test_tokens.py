import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from apps.accounts.models import ApiToken
from apps.api.tokens import (
    TOKEN_PREFIX,
    api_token_create,
    api_token_revoke,
    service_token_create,
    token_generate,
    token_is_well_formed,
)
from apps.audit.models import AuditEvent
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db


def test_a_token_is_prefixed_checksummed_and_stored_only_as_its_sha256(partner_member):
    issued = api_token_create(user=partner_member, name="LIMS", scopes=["read"])
    assert issued.plaintext.startswith(TOKEN_PREFIX)
    assert token_is_well_formed(issued.plaintext)
    stored = ApiToken.objects.get(pk=issued.token.pk)
    assert stored.token_hash == hashlib.sha256(issued.plaintext.encode()).hexdigest()
    assert issued.plaintext not in str(ApiToken.objects.filter(pk=stored.pk).values().get())
    assert stored.prefix == issued.plaintext[: len(stored.prefix)]
    assert AuditEvent.objects.filter(action="api_token.create", target_id=str(stored.pk)).exists()


def test_a_mistyped_token_fails_its_checksum():
    token = token_generate()
    typo = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert not token_is_well_formed(typo)
    assert not token_is_well_formed("strat_short")


def test_the_default_expiry_is_90_days_and_more_than_a_year_is_refused(partner_member):
    issued = api_token_create(user=partner_member, name="LIMS", scopes=["read"])
    assert abs(issued.token.expires_at - (timezone.now() + timedelta(days=90))) < timedelta(
        minutes=1
    )
    with pytest.raises(ValidationError):
        api_token_create(user=partner_member, name="LIMS", scopes=["read"], expires_days=366)
    with pytest.raises(ValidationError):
        api_token_create(user=partner_member, name="LIMS", scopes=["admin"])


def test_a_valid_token_authenticates_and_records_last_use(partner_member):
    issued = api_token_create(user=partner_member, name="LIMS", scopes=["read"])
    client = client_for()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    assert client.get("/api/v1/projects/").status_code == 200
    issued.token.refresh_from_db()
    assert issued.token.last_used_at is not None
    assert issued.token.last_used_ip == "127.0.0.1"


@pytest.mark.parametrize(
    "header", ["Bearer strat_nonsense", "Bearer " + "strat_" + "a" * 38, "Token x"]
)
def test_a_bad_token_gets_401_problem_details(db, header):
    client = client_for()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/projects/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_revocation_takes_effect_on_the_next_request(partner_member):
    issued = api_token_create(user=partner_member, name="LIMS", scopes=["read"])
    client = client_for()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    assert client.get("/api/v1/projects/").status_code == 200
    api_token_revoke(token=issued.token, actor=partner_member)
    assert client.get("/api/v1/projects/").status_code == 401


def test_an_expired_token_gets_401(partner_member):
    issued = api_token_create(user=partner_member, name="LIMS", scopes=["read"])
    ApiToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now())
    client = client_for()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    assert client.get("/api/v1/projects/").status_code == 401


def test_a_read_token_attempting_a_write_gets_403(partner_member, project):
    client = client_for(partner_member, scopes=("read",))
    response = client.patch(f"/api/v1/projects/{project.pk}/", {"title": "x"}, format="json")
    assert response.status_code == 403
    assert "write" in response.json()["detail"]


def test_an_anonymous_write_gets_401(project):
    response = client_for().patch(f"/api/v1/projects/{project.pk}/", {"title": "x"}, format="json")
    assert response.status_code == 401


def test_a_service_token_acts_with_its_organisations_rights_only(coordinator, lead_org, project):
    issued = service_token_create(
        organisation=lead_org, actor=coordinator, name="Catalogue sync", scopes=["read"]
    )
    account = issued.token.user
    assert account != coordinator
    assert not account.has_usable_password()
    assert account.affiliations.filter(organisation=lead_org, ended_at__isnull=True).exists()
    client = client_for()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
    body = client.get(f"/api/v1/projects/{project.pk}/").json()
    # The consortium sees the project's details, but the service account is no member.
    assert body["details_visible"] is True
    assert account.pk not in {m["user"]["id"] for m in body["members"]}


def test_the_management_command_prints_a_usable_token(partner_member, capsys):
    call_command(
        "create_api_token", partner_member.email, "--scopes", "read,write", "--expires-days", "30"
    )
    plaintext = capsys.readouterr().out.strip().splitlines()[-1]
    assert token_is_well_formed(plaintext)
    token = ApiToken.objects.get(user=partner_member)
    assert sorted(token.scopes) == ["read", "write"]
    assert token.expires_at - timezone.now() < timedelta(days=31)


def test_the_management_command_refuses_an_unknown_address(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("create_api_token", "nobody@nowhere.test", "--scopes", "read")
