"""Access facts cached by version (issue 16): whatever writes a change to a person's access —
a service, `QuerySet.update()`, a bulk write, an admin action, raw SQL, or the clock passing a
grant's `valid_until` or an observer's end date with no sweep — the very next request sees it,
on PostgreSQL with the Redis cache on. A cache that stops answering costs speed, never
correctness."""

import datetime
import socket
import subprocess
import time

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from apps.access import facts as access_facts_module
from apps.access.models import AccessVersion
from apps.milestones.models import Deliverable
from apps.organisations.models import Affiliation, OrganisationStatus
from apps.organisations.services import affiliation_end
from apps.projects.models import MembershipRole, Partner, PartnerStatus, SummaryVisibility
from tests.access.factories import AccessGrantFactory, ControlledDatasetFactory
from tests.accounts.factories import UserFactory
from tests.api.conftest import client_for
from tests.datasets.factories import DatasetFactory
from tests.organisations.factories import AffiliationFactory
from tests.projects.factories import MembershipFactory, ProjectFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("postgres_and_redis")]


def _sees_dataset(client, dataset) -> bool:
    response = client.get(f"/api/v1/datasets/{dataset.pk}/")
    assert response.status_code in (200, 404), response.content
    return response.status_code == 200


def _version(user) -> int:
    row = AccessVersion.objects.filter(user_id=user.pk).first()
    return row.version if row else 0


def _cached(user) -> bool:
    """The person's facts sit in Redis under their current version."""
    zone = timezone.get_current_timezone_name()
    return cache.get(access_facts_module._key(user.pk, _version(user), zone)) is not None


@pytest.fixture
def dataset(project):
    return DatasetFactory(project=project)


@pytest.fixture
def member_client(partner_member):
    return client_for(partner_member)


def _warm(client, user, dataset) -> None:
    assert _sees_dataset(client, dataset)
    assert _cached(user), "the first request stores the facts in Redis"


def test_a_service_ending_the_affiliation_is_seen_by_the_next_request(
    partner_member, member_client, dataset, staff
):
    _warm(member_client, partner_member, dataset)
    affiliation = Affiliation.objects.get(user=partner_member)
    affiliation_end(affiliation=affiliation, actor=staff)
    assert not _sees_dataset(member_client, dataset)


def test_a_queryset_update_of_the_partnership_is_seen_by_the_next_request(
    partner_member, member_client, dataset, project, partner_org
):
    _warm(member_client, partner_member, dataset)
    Partner.objects.filter(project=project, organisation=partner_org).update(
        status=PartnerStatus.LEFT
    )
    assert not _sees_dataset(member_client, dataset)


def test_a_bulk_created_partnership_is_seen_by_the_next_request(
    outsider, dataset, project, other_org
):
    client = client_for(outsider)
    assert not _sees_dataset(client, dataset)
    assert _cached(outsider)
    Partner.objects.bulk_create(
        [Partner(project=project, organisation=other_org, status=PartnerStatus.ACTIVE)]
    )
    assert _sees_dataset(client, dataset)


def test_a_bulk_update_ending_the_affiliation_is_seen_by_the_next_request(
    partner_member, member_client, dataset
):
    _warm(member_client, partner_member, dataset)
    affiliation = Affiliation.objects.get(user=partner_member)
    affiliation.ended_at = timezone.now()
    Affiliation.objects.bulk_update([affiliation], ["ended_at"])
    assert not _sees_dataset(member_client, dataset)


def test_an_admin_suspension_of_the_organisation_is_seen_by_the_next_request(
    partner_member, member_client, dataset, partner_org, staff, client
):
    _warm(member_client, partner_member, dataset)
    client.force_login(staff)
    response = client.post(
        "/admin/organisations/organisation/",
        {
            "action": "suspend",
            "_selected_action": [str(partner_org.pk)],
            "apply": "1",
            "reason": "Consortium agreement lapsed.",
        },
    )
    assert response.status_code == 302
    partner_org.refresh_from_db()
    assert partner_org.status == OrganisationStatus.SUSPENDED
    assert not _sees_dataset(member_client, dataset)


def test_raw_sql_ending_the_affiliation_is_seen_by_the_next_request(
    partner_member, member_client, dataset
):
    _warm(member_client, partner_member, dataset)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE organisations_affiliation SET ended_at = now() WHERE user_id = %s",
            [partner_member.pk],
        )
    assert not _sees_dataset(member_client, dataset)


def test_a_grant_past_its_valid_until_stops_at_the_next_request_with_no_sweep(
    outsider, project, other_org
):
    project.summary_visibility = SummaryVisibility.MEMBERS
    project.save(update_fields=["summary_visibility"])
    dataset = ControlledDatasetFactory(project=project)
    ends = timezone.now() + datetime.timedelta(hours=1)
    grant = AccessGrantFactory(
        request__dataset=dataset,
        request__requester=outsider,
        request__organisation=other_org,
        valid_until=ends,
    )
    client = client_for(outsider)
    assert _sees_dataset(client, dataset)
    assert _cached(outsider)
    with time_machine.travel(ends + datetime.timedelta(seconds=1), tick=False):
        assert not _sees_dataset(client, dataset)
    grant.refresh_from_db()
    assert grant.status == "active", "no sweep ran: the clock alone ended it"


def test_an_observer_past_their_end_date_loses_restricted_deliverables_with_no_sweep(
    project, partner_org
):
    observer = UserFactory()
    AffiliationFactory(user=observer, organisation=partner_org)
    today = timezone.localdate()
    MembershipFactory(
        project=project,
        user=observer,
        organisation=partner_org,
        role=MembershipRole.OBSERVER,
        ends_on=today,
    )
    deliverable = Deliverable.objects.create(
        project=project,
        code="D1.1",
        title="Interim stratification report",
        due_month=6,
        dissemination=Deliverable.Dissemination.RESTRICTED,
    )
    client = client_for(observer)
    url = f"/api/v1/deliverables/{deliverable.pk}/"
    assert client.get(url).status_code == 200
    assert _cached(observer)
    tomorrow = timezone.make_aware(
        datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time(0, 0, 1))
    )
    with time_machine.travel(tomorrow, tick=False):
        assert client.get(url).status_code == 404


def test_a_cached_entry_is_used_while_the_version_stands(
    partner_member, member_client, dataset, django_assert_max_num_queries
):
    _warm(member_client, partner_member, dataset)
    with django_assert_max_num_queries(50) as captured:
        assert _sees_dataset(member_client, dataset)
    facts_statements = [q for q in captured.captured_queries if "SELECT 'v'" in q["sql"]]
    assert facts_statements == [], "a standing version is answered from the cache"


# --- Redis stopped mid-run -----------------------------------------------------------------
def _spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def throwaway_redis(settings):
    """A redis-server of this test's own, so stopping it disturbs nobody else's."""
    port = _spare_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.1)
    settings.CACHES = {
        "default": {
            "BACKEND": settings.CACHES["default"]["BACKEND"],
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "KEY_PREFIX": "stratum-facts-test",
        }
    }
    yield server
    if server.poll() is None:
        server.kill()
        server.wait()


def test_with_redis_stopped_pages_and_the_api_answer_from_the_database(
    throwaway_redis, partner_member, outsider, dataset, client
):
    member_api, outsider_api = client_for(partner_member), client_for(outsider)
    assert _sees_dataset(member_api, dataset)
    assert not _sees_dataset(outsider_api, dataset)
    assert _cached(partner_member)

    throwaway_redis.kill()
    throwaway_redis.wait()
    access_facts_module.forget_local_memory()  # so the next requests really ask Redis

    assert _sees_dataset(member_api, dataset)
    assert not _sees_dataset(outsider_api, dataset)
    client.force_login(partner_member)
    page = client.get(f"/datasets/{dataset.pk}/")
    assert page.status_code == 200
    assert dataset.title in page.content.decode()
    client.force_login(outsider)
    assert client.get(f"/datasets/{dataset.pk}/").status_code == 404


# --- Every table behind the facts bumps the version ----------------------------------------
def _bumps(user, write) -> bool:
    before = _version(user)
    write()
    return _version(user) != before


def test_every_table_behind_the_facts_bumps_the_persons_version(
    partner_member, partner_org, project, other_org
):
    from allauth.mfa.models import Authenticator

    from apps.access.models import CommitteeMember, DataAccessCommittee
    from apps.projects.models import Membership
    from tests.access.factories import CommitteeFactory

    committee = CommitteeFactory(project=project)
    grant_dataset = ControlledDatasetFactory(project=project)
    writes = {
        "affiliation": lambda: Affiliation.objects.filter(user=partner_member).update(role="admin"),
        "membership": lambda: Membership.objects.filter(user=partner_member).update(
            role=MembershipRole.VIEWER
        ),
        "committee seat": lambda: CommitteeMember.objects.create(
            committee=committee, user=partner_member, organisation=partner_org
        ),
        "committee's project": lambda: DataAccessCommittee.objects.filter(pk=committee.pk).update(
            name="Renamed", project=ProjectFactory()
        ),
        "grant": lambda: AccessGrantFactory(
            request__dataset=grant_dataset,
            request__requester=partner_member,
            request__organisation=partner_org,
        ),
        "authenticator": lambda: Authenticator.objects.create(
            user=partner_member, type=Authenticator.Type.TOTP, data={}
        ),
        "partnership": lambda: Partner.objects.create(
            project=ProjectFactory(), organisation=partner_org, status=PartnerStatus.ACTIVE
        ),
        "organisation status": lambda: (
            type(partner_org)
            .objects.filter(pk=partner_org.pk)
            .update(status=OrganisationStatus.SUSPENDED)
        ),
    }
    missed = [name for name, write in writes.items() if not _bumps(partner_member, write)]
    assert missed == []
    renamed = type(partner_org).objects.filter(pk=partner_org.pk)
    assert not _bumps(partner_member, lambda: renamed.update(name="Renamed University"))
    assert not _bumps(
        partner_member,
        lambda: type(other_org).objects.filter(pk=other_org.pk).update(status="suspended"),
    ), "another organisation's suspension is not this person's business"
