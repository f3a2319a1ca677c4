"""GA4GH Passport visas (#18, acceptance 5): a visa for a grant verifies with an independent
JOSE library (jwcrypto) against the published JWKS; after revocation no new visa is issued for
it, and the last one expires within its lifetime (one hour)."""

import datetime
import json

import pytest
import time_machine
from django.utils import timezone
from jwcrypto import jwk
from jwcrypto import jwt as jose_jwt
from jwcrypto.jwt import JWTExpired

from apps.access.services import grant_revoke
from tests.access.factories import AccessGrantFactory

LIFETIME = 3600


@pytest.fixture
def grant(controlled_dataset, partner_member, partner_org):
    return AccessGrantFactory(
        dataset=controlled_dataset,
        user=partner_member,
        organisation=partner_org,
        request__dataset=controlled_dataset,
        request__requester=partner_member,
        request__organisation=partner_org,
    )


def _passport(client, user) -> list[str]:
    client.force_login(user)
    response = client.get("/ga4gh/passport/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    return response.json()["ga4gh_passport_v1"]


def _verify(client, token: str) -> dict:
    """Verification as a relying system does it: keys from the JWKS URL, jwcrypto not PyJWT."""
    keys = jwk.JWKSet.from_json(client.get("/ga4gh/jwks.json").content)
    checked = jose_jwt.JWT(jwt=token, key=keys, algs=["RS256"])
    return json.loads(checked.claims)


def test_a_visa_verifies_with_an_independent_library_against_the_published_jwks(
    client, grant, partner_member, settings
):
    [token] = _passport(client, partner_member)
    claims = _verify(client, token)
    visa = claims["ga4gh_visa_v1"]
    assert visa == {
        "type": "ControlledAccessGrants",
        "asserted": int(grant.valid_from.timestamp()),
        "value": f"{settings.SITE_URL}/datasets/{grant.dataset_id}/",
        "source": f"{settings.SITE_URL}/access/committee/{grant.dataset.project.slug}/",
        "by": "dac",
    }
    assert claims["sub"] == str(partner_member.pk)
    assert claims["exp"] - claims["iat"] == LIFETIME
    header = json.loads(jose_jwt.JWT(jwt=token).token.objects["protected"])
    assert header["alg"] == "RS256"
    assert header["jku"] == f"{settings.SITE_URL}/ga4gh/jwks.json"


def test_a_tampered_visa_fails_verification(client, grant, partner_member):
    [token] = _passport(client, partner_member)
    head, payload, signature = token.split(".")
    forged = payload[:-4] + ("AAAA" if not payload.endswith("AAAA") else "BBBB")
    with pytest.raises(Exception):
        _verify(client, ".".join([head, forged, signature]))


def test_after_revocation_no_new_visa_and_the_last_expires_within_its_lifetime(
    client, grant, partner_member, dac_member
):
    [last] = _passport(client, partner_member)
    revoked_at = timezone.now()
    grant_revoke(grant=grant, actor=dac_member, reason="Shared outside the consortium.")
    assert _passport(client, partner_member) == []
    claims = _verify(client, last)
    assert claims["exp"] <= int(revoked_at.timestamp()) + LIFETIME
    after_lifetime = revoked_at + datetime.timedelta(seconds=LIFETIME + 61)
    with time_machine.travel(after_lifetime), pytest.raises(JWTExpired):
        _verify(client, last)


def test_a_visa_never_outlives_its_grant(client, grant, partner_member):
    grant.valid_until = timezone.now() + datetime.timedelta(minutes=10)
    grant.save(update_fields=["valid_until"])
    [token] = _passport(client, partner_member)
    assert _verify(client, token)["exp"] == int(grant.valid_until.timestamp())


def test_grants_that_are_not_live_get_no_visa(client, grant, partner_member):
    grant.valid_until = timezone.now() - datetime.timedelta(seconds=1)  # past its end, unswept
    grant.save(update_fields=["valid_until"])
    assert _passport(client, partner_member) == []


def test_someone_elses_grants_are_not_in_my_passport(client, grant, outsider):
    assert _passport(client, outsider) == []


def test_anonymous_gets_401_for_a_passport_but_may_read_the_jwks(client):
    assert client.get("/ga4gh/passport/").status_code == 401
    keys = client.get("/ga4gh/jwks.json").json()["keys"]
    assert keys and keys[0]["kty"] == "RSA" and "d" not in keys[0]
    assert keys[0]["use"] == "sig" and "key_ops" not in keys[0]
