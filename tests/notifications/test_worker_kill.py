"""Acceptance: a real worker on the real Redis broker, killed with SIGKILL mid-batch, loses no
e-mail; the new worker (with beat) finishes within 60 s; any duplicate carries the same
Message-ID. The 20-run version with random kill moments is bench/kill_delivery.py."""

import os

import pytest
from django.conf import settings

from apps.accounts.models import User
from tests.notifications.kill_run import kill_run

pytestmark = [pytest.mark.services, pytest.mark.slow]

RECIPIENTS = 200


def _services_or_skip():
    have = settings.IS_POSTGRES and settings.CELERY_BROKER_URL.startswith("redis://")
    if not have:
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail("REQUIRE_SERVICES=1 but PostgreSQL and Redis are not both configured.")
        pytest.skip("Needs PostgreSQL and Redis.")


@pytest.fixture
def fan_out_people(transactional_db):
    people = [
        User(email=f"recipient{i:04d}@fanout.test", first_name="Recipient", last_name=str(i))
        for i in range(RECIPIENTS)
    ]
    return User.objects.bulk_create(people)


def test_killing_the_worker_mid_batch_loses_nothing_and_recovers_within_a_minute(
    fan_out_people, project, smtp_sink, tmp_path
):
    _services_or_skip()
    run = kill_run(
        people=fan_out_people, target=project, sink=smtp_sink, log_dir=tmp_path, kill_after=40
    )
    print(run)
    assert run.killed_after < RECIPIENTS, "the worker finished before it was killed"
    assert run.lost == 0
    assert run.recovered_seconds <= 60
    assert run.duplicates_with_other_message_id == 0
    assert run.received == RECIPIENTS + run.duplicates
