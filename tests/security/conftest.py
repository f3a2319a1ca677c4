"""Security test helpers: MFA enforcement on (the test settings turn it off for other apps),
authenticator codes, and the access engineer's committee world."""

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)

from apps.access.services import access_request_create, access_request_submit
from tests.access.conftest import (  # noqa: F401  (fixtures)
    asthma,
    committee,
    controlled_dataset,
    dac_member,
    duo_terms,
    nhs_org,
    request_data,
    respiratory,
)
from tests.datasets.conftest import _upload_temp_dir, stored_files  # noqa: F401  (fixtures)


@pytest.fixture
def mfa_enforced(settings):
    settings.STRATUM_MFA_ENFORCED = True


def current_code(secret: str) -> str:
    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(secret, counter))


def enrol_totp(user) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


@pytest.fixture
def in_review(controlled_dataset, partner_member, partner_org, request_data, dac_member):  # noqa: F811
    """A controlled-access request waiting for the committee (dac_member may decide it)."""
    draft = access_request_create(
        dataset=controlled_dataset,
        requester=partner_member,
        organisation=partner_org,
        data=request_data,
    )
    return access_request_submit(access_request=draft, actor=partner_member)
