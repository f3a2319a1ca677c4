"""The sharing view per partner organisation (#18, acceptance 7): exactly the grants of the
organisation's stewarded datasets, expiring first, with agreement versions and the committee's
backlog per project; CSV export; 404 for anyone but its admins and data stewards."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.access.models import GrantStatus, RequestStatus
from apps.organisations.models import AffiliationRole
from tests.access.factories import (
    AccessGrantFactory,
    AccessRequestFactory,
    ControlledDatasetFactory,
)
from tests.accounts.factories import UserFactory
from tests.organisations.factories import AffiliationFactory


def _grant(dataset, days, **extra):
    holder = UserFactory()
    return AccessGrantFactory(
        dataset=dataset,
        user=holder,
        request__dataset=dataset,
        request__requester=holder,
        valid_until=timezone.now() + datetime.timedelta(days=days),
        **extra,
    )


@pytest.fixture
def world(controlled_dataset, project, partner_org, lead_org):
    """lead_org stewards `controlled_dataset`; partner_org stewards another dataset."""
    other = ControlledDatasetFactory(
        project=project, steward_organisation=partner_org, title="Other org's data"
    )
    ours_late = _grant(controlled_dataset, 200)
    ours_soon = _grant(controlled_dataset, 12)
    suspended = _grant(controlled_dataset, 90, status=GrantStatus.SUSPENDED)
    _grant(controlled_dataset, 50, status=GrantStatus.REVOKED)  # holds no access: not listed
    theirs = _grant(other, 30)
    return {"ours": [ours_soon, suspended, ours_late], "theirs": theirs}


@pytest.fixture
def steward(lead_org):
    user = UserFactory(email="steward@pharmacorp.test")
    AffiliationFactory(user=user, organisation=lead_org, role=AffiliationRole.DATA_STEWARD)
    return user


def _url(org, name="access:sharing"):
    return reverse(name, args=[org.slug])


@pytest.mark.parametrize("who", ["coordinator", "steward"])  # coordinator: lead_org's admin
def test_admins_and_stewards_see_exactly_their_stewarded_grants_expiring_first(
    request, client, world, lead_org, who
):
    client.force_login(request.getfixturevalue(who))
    response = client.get(_url(lead_org))
    assert response.status_code == 200
    listed = [g.pk for g in response.context["page_obj"]]
    assert listed == [g.pk for g in world["ours"]]
    assert "Other org&#x27;s data" not in response.content.decode()


def test_csv_export_has_the_same_grants(client, world, lead_org, coordinator):
    client.force_login(coordinator)
    response = client.get(_url(lead_org, "access:sharing_csv"))
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["holder_email"] for r in rows] == [g.user.email for g in world["ours"]]
    assert {r["dataset"] for r in rows} == {"Sputum transcriptomics"}


@pytest.mark.parametrize("who", ["partner_member", "outsider", "dac_member", "anonymous"])
def test_anyone_else_gets_404(request, client, world, lead_org, who):
    user = request.getfixturevalue(who)
    if user is not None and user.is_authenticated:
        client.force_login(user)
    assert client.get(_url(lead_org)).status_code == 404
    assert client.get(_url(lead_org, "access:sharing_csv")).status_code == 404


def test_a_plain_member_of_the_organisation_gets_404(client, world, lead_org):
    member = UserFactory()
    AffiliationFactory(user=member, organisation=lead_org, role=AffiliationRole.MEMBER)
    client.force_login(member)
    assert client.get(_url(lead_org)).status_code == 404


def test_backlog_and_median_decision_time_per_project(
    client, controlled_dataset, lead_org, coordinator
):
    now = timezone.now()
    for days in (2, 4, 9):
        AccessRequestFactory(
            dataset=controlled_dataset,
            status=RequestStatus.APPROVED,
            submitted_at=now - datetime.timedelta(days=days),
            decided_at=now,
        )
    AccessRequestFactory(
        dataset=controlled_dataset, status=RequestStatus.IN_REVIEW, submitted_at=now
    )
    client.force_login(coordinator)
    [backlog] = client.get(_url(lead_org)).context["backlogs"]
    assert (backlog.backlog, backlog.decided, backlog.median_days) == (1, 3, 4.0)
