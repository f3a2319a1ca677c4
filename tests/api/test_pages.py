"""The token and webhook pages at /account/tokens/."""

import pytest

from apps.accounts.models import ApiToken
from apps.api.models import WebhookEndpoint
from apps.api.tokens import api_token_create, service_token_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def insecure_webhooks(settings):
    settings.STRATUM_WEBHOOK_ALLOW_INSECURE = True


def test_a_person_creates_a_token_and_sees_it_once(client, partner_member):
    client.force_login(partner_member)
    response = client.post(
        "/account/tokens/", {"name": "LIMS", "scopes": ["read"], "expires_days": 30}
    )
    assert response.status_code == 201
    token = ApiToken.objects.get(user=partner_member)
    html = response.content.decode()
    assert token.prefix in html
    assert "strat_" in html and "Copy your new token now" in html
    listing = client.get("/account/tokens/").content.decode()
    assert token.prefix in listing and "Copy your new token now" not in listing


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/account/tokens/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_invalid_token_input_shows_the_errors(client, partner_member):
    client.force_login(partner_member)
    response = client.post("/account/tokens/", {"name": "", "expires_days": 400})
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_person_revokes_their_token_after_confirming(client, partner_member):
    issued = api_token_create(user=partner_member, name="LIMS", scopes=["read"])
    client.force_login(partner_member)
    assert client.get(f"/account/tokens/{issued.token.pk}/revoke/").status_code == 200
    response = client.post(f"/account/tokens/{issued.token.pk}/revoke/")
    assert response.status_code == 302
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is not None


def test_someone_elses_token_is_a_404(client, partner_member, outsider):
    issued = api_token_create(user=partner_member, name="LIMS", scopes=["read"])
    client.force_login(outsider)
    assert client.post(f"/account/tokens/{issued.token.pk}/revoke/").status_code == 404
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is None


def test_an_organisation_admin_creates_a_service_token(client, coordinator, lead_org):
    client.force_login(coordinator)
    page = client.get("/account/tokens/")
    assert f"/account/tokens/organisations/{lead_org.pk}/new/" in page.content.decode()
    response = client.post(
        f"/account/tokens/organisations/{lead_org.pk}/new/",
        {"name": "Catalogue", "scopes": ["read"], "expires_days": 90},
    )
    assert response.status_code == 201
    token = ApiToken.objects.get(organisation=lead_org)
    assert token.created_by == coordinator and token.user != coordinator


def test_a_member_who_is_not_an_admin_cannot_make_service_tokens(
    client, partner_member, partner_org
):
    client.force_login(partner_member)
    url = f"/account/tokens/organisations/{partner_org.pk}/new/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "x", "scopes": ["read"], "expires_days": 9}).status_code == 404


def test_another_admin_of_the_organisation_can_revoke_its_service_token(
    client, coordinator, lead_org
):
    from apps.organisations.models import AffiliationRole
    from tests.organisations.factories import AffiliationFactory

    issued = service_token_create(
        organisation=lead_org, actor=coordinator, name="Sync", scopes=["read"]
    )
    colleague = AffiliationFactory(organisation=lead_org, role=AffiliationRole.ADMIN).user
    client.force_login(colleague)
    assert client.post(f"/account/tokens/{issued.token.pk}/revoke/").status_code == 302


def test_an_admin_registers_a_webhook_and_sees_the_secret_once(
    client, coordinator, lead_org, insecure_webhooks
):
    client.force_login(coordinator)
    response = client.post(
        "/account/tokens/webhooks/",
        {"organisation": lead_org.pk, "url": "https://receiver.example/hook", "description": ""},
    )
    assert response.status_code == 201
    endpoint = WebhookEndpoint.objects.get(organisation=lead_org)
    assert endpoint.secret in response.content.decode()
    detail = client.get(f"/account/tokens/webhooks/{endpoint.pk}/").content.decode()
    assert endpoint.secret not in detail


def test_a_plain_http_webhook_is_refused_in_production(client, coordinator, lead_org, settings):
    settings.STRATUM_WEBHOOK_ALLOW_INSECURE = False
    client.force_login(coordinator)
    response = client.post(
        "/account/tokens/webhooks/", {"organisation": lead_org.pk, "url": "http://10.0.0.1/x"}
    )
    assert response.status_code == 400
    assert not WebhookEndpoint.objects.exists()


def test_an_outsider_gets_404_for_another_organisations_webhook(
    client, coordinator, outsider, lead_org, insecure_webhooks
):
    from apps.api.webhooks import webhook_endpoint_create

    endpoint, _ = webhook_endpoint_create(
        organisation=lead_org, actor=coordinator, url="https://receiver.example/hook"
    )
    client.force_login(outsider)
    assert client.get(f"/account/tokens/webhooks/{endpoint.pk}/").status_code == 404
    assert client.post(f"/account/tokens/webhooks/{endpoint.pk}/delete/").status_code == 404
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()
