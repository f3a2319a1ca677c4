"""The signed-in project page from versioned fragments (issue 16): a stale or another person's
fragment is a lie or a leak, so these tests hold the cache to the database.

- Coverage by construction: every table the cached part of the page reads, for several
  personas, must bump the project's content version (`apps.projects.content_versions.BUMPS`)
  or be exempted below with its reason — and each declared trigger must be installed.
- Each write path (a service, `QuerySet.update()`, `bulk_create`, `bulk_update`, raw SQL, an
  admin edit, a person's rename, the viewer's own standing) is seen by the very next request,
  after a request that was served from the cache.
- The clock alone (a milestone becoming late) changes the page the next day.
- Personas with different access never receive each other's fragment.
- A Redis that stops answering costs speed, never correctness.

On PostgreSQL with the Redis cache, as the acceptance of issue 16 asks.
"""

import datetime
import re
import threading

import pytest
import time_machine
from django.apps import apps as django_apps
from django.db import connection, transaction
from django.test import Client
from django.test.signals import template_rendered
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.access import facts as access_facts_module
from apps.access.models import RequestStatus
from apps.accounts.models import User
from apps.datasets.models import Dataset
from apps.organisations.models import Affiliation
from apps.projects import content_versions, page_cache
from apps.projects.models import (
    Biomarker,
    Membership,
    ProjectContentPending,
    ProjectFunder,
)
from apps.projects.services import project_update
from apps.projects.views.project import _build_page
from tests.access.factories import (
    AccessRequestFactory,
    CommitteeFactory,
    CommitteeMemberFactory,
    ControlledDatasetFactory,
)
from tests.access.leaks.conftest import (
    CANARY_CONTROLLED,
    CANARY_DATASET,
    CANARY_DRAFT,
    CANARY_SUMMARY,
    HIDDEN_PARTNERS,
    PERSONAS,
    as_persona,
    assert_canary,
    assert_no_canary,
    leak_world,  # noqa: F401  (a fixture)
)
from tests.access.test_access_facts import throwaway_redis  # noqa: F401  (a fixture)
from tests.analyses.factories import AnalysisFactory, AnalysisVersionFactory
from tests.datasets.factories import DatasetFactory
from tests.documents.factories import ProtocolFactory, ProtocolVersionFactory
from tests.milestones.factories import DeliverableFactory, MilestoneFactory
from tests.projects.cache_coverage import assert_every_table_bumps, tables_in
from tests.projects.factories import BiomarkerFactory, DiseaseAreaFactory, WorkPackageFactory

# Committed writes: PostgreSQL turns a transaction's writes into a new content version as it
# commits, and a fragment is neither read nor stored in a transaction that wrote the project.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("postgres_and_redis"),
]

# Tables the cached part reads that need not bump any project, and why.
EXEMPT = {
    "projects_projectcontentversion": "the content version itself: it is in the key",
    "access_accessversion": "the viewer's access version: in the key (with the facts)",
    "mfa_authenticator": "the viewer's MFA standing (access facts, in the key)",
}


@pytest.fixture
def full_project(project, coordinator, partner_member, partner_org, lead_org, other_org, outsider):
    """RESPIRE with a row in every section of its page."""
    project.disease_areas.add(DiseaseAreaFactory(name="Severe asthma"))
    ProjectFunder.objects.create(project=project, organisation=other_org, grant_reference="G-1")
    package = WorkPackageFactory(project=project, title="Cohort building")
    package.lead_organisations.add(lead_org)
    package.members.add(partner_member)
    BiomarkerFactory(project=project, name="Blood eosinophils", diagnostic_partner=other_org)
    ProtocolVersionFactory(protocol=ProtocolFactory(project=project, title="Sputum protocol"))
    DatasetFactory(project=project, title="Baseline cohort")
    controlled = ControlledDatasetFactory(project=project, title="Genotypes")
    AnalysisVersionFactory(analysis=AnalysisFactory(project=project, title="Cut-off derivation"))
    committee = CommitteeFactory(project=project)
    CommitteeMemberFactory(committee=committee, user=coordinator, organisation=lead_org)
    AccessRequestFactory(
        dataset=controlled,
        requester=outsider,
        organisation=other_org,
        status=RequestStatus.SUBMITTED,
        submitted_at=timezone.now(),
    )
    MilestoneFactory(
        project=project,
        title="Cohort of 400 recruited",
        owner=partner_member,
        owner_organisation=partner_org,
        due_date=timezone.localdate() + datetime.timedelta(days=30),
    )
    DeliverableFactory(project=project, title="Recruitment report", lead_organisation=partner_org)
    return project


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _get(client, project):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/projects/{project.slug}/")
    assert response.status_code == 200
    return response.content.decode(), tables_in(captured)


def _served_from_cache(client, project) -> str:
    """Two requests: the first may build and store the fragment, the second must not read the
    sections' tables (so the write that follows is checked against a stored fragment)."""
    _get(client, project)
    html, tables = _get(client, project)
    assert "projects_biomarker" not in tables, "the second request should be a cache hit"
    return html


# --- Coverage by construction ------------------------------------------------------------
def test_every_table_the_cached_page_reads_bumps_the_project_version(
    full_project, coordinator, partner_member, staff
):
    read = set()
    for user in (coordinator, partner_member, staff):
        access_facts_module.forget_local_memory()
        user = User.objects.get(pk=user.pk)  # no facts memo: the build reads them too
        with CaptureQueriesContext(connection) as captured:
            page = _build_page(user, full_project.slug)
        assert "Cohort of 400 recruited" in page.content  # the sections really rendered
        read |= tables_in(captured)
    assert {"projects_biomarker", "milestones_milestone", "accounts_user"} <= read
    assert_every_table_bumps({"the project page": read}, EXEMPT)


PER_REQUEST = ("csrf_token", "csp_nonce", "messages", "request", "unread_notifications_count")


def test_no_template_of_the_cached_part_uses_anything_of_one_request(full_project, coordinator):
    """The fragment is rendered without the request (no context processors); a template
    that asked for the CSRF token, the nonce or messages would silently get nothing and,
    worse, the next person the same blank. Fail instead."""
    rendered = []

    def collect(sender, template, context, **kwargs):
        rendered.append(template)

    template_rendered.connect(collect)
    try:
        _build_page(coordinator, full_project.slug)
    finally:
        template_rendered.disconnect(collect)
    names = {t.name for t in rendered}
    assert "projects/_detail_content.html" in names and "milestones/_timeline.html" in names
    for template in rendered:
        code = " ".join(re.findall(r"\{[{%](.*?)[}%]\}", template.source, re.DOTALL))
        used = [word for word in PER_REQUEST if re.search(rf"\b{word}\b", code)]
        assert not used, f"{template.name} uses {used}"


def test_every_declared_table_has_its_trigger_installed():
    declared = {
        content_versions.table_of(django_apps, bump.label) for bump in content_versions.BUMPS
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname LIKE %s",
            [f"{content_versions.PREFIX}_bump%"],
        )
        installed = {row[0].strip('"') for row in cursor.fetchall()}
    assert installed == declared


def _version(project) -> tuple[int, bool]:
    """The project's committed content version, and whether this (test) transaction has
    written it since: PostgreSQL turns the second into a new version as the transaction
    commits (`test_a_commit_turns_pending_writes_into_a_new_version`)."""
    ref = page_cache.project_ref(project.slug)
    return ref.version, ref.pending


def test_a_sign_in_does_not_bump_the_projects_a_person_is_in(full_project, partner_member):
    before = _version(full_project)
    User.objects.filter(pk=partner_member.pk).update(last_login=timezone.now())
    assert _version(full_project) == before
    User.objects.filter(pk=partner_member.pk).update(last_name="Renamed")
    assert _version(full_project) != before


# --- Every write path is seen by the very next request -----------------------------------
def test_a_service_write_is_seen_by_the_next_request(full_project, coordinator):
    client = _client(coordinator)
    assert "A new summary" not in _served_from_cache(client, full_project)
    project_update(actor=coordinator, project=full_project, summary="A new summary")
    assert "A new summary" in _get(client, full_project)[0]


def test_a_queryset_update_is_seen_by_the_next_request(full_project, partner_member):
    client = _client(partner_member)
    assert "Baseline cohort" in _served_from_cache(client, full_project)
    Dataset.objects.filter(project=full_project, title="Baseline cohort").update(
        title="Renamed cohort"
    )
    html = _get(client, full_project)[0]
    assert "Renamed cohort" in html and "Baseline cohort" not in html


def test_a_bulk_create_is_seen_by_the_next_request(full_project, partner_member):
    client = _client(partner_member)
    assert "Bulk marker" not in _served_from_cache(client, full_project)
    Biomarker.objects.bulk_create(
        [
            Biomarker(
                project=full_project,
                name="Bulk marker",
                kind=Biomarker.Kind.PROTEOMIC,
                stratum="Everyone with it.",
            )
        ]
    )
    assert "Bulk marker" in _get(client, full_project)[0]


def test_a_bulk_update_is_seen_by_the_next_request(full_project, partner_member):
    client = _client(partner_member)
    assert "Blood eosinophils" in _served_from_cache(client, full_project)
    marker = Biomarker.objects.get(project=full_project)
    marker.name = "Sputum eosinophils"
    Biomarker.objects.bulk_update([marker], ["name"])
    assert "Sputum eosinophils" in _get(client, full_project)[0]


def test_raw_sql_renaming_a_partner_organisation_is_seen_by_the_next_request(
    full_project, partner_member, partner_org
):
    client = _client(partner_member)
    assert "University of Example" in _served_from_cache(client, full_project)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE organisations_organisation SET name = %s WHERE id = %s",
            ["University of Elsewhere", partner_org.pk],
        )
    html = _get(client, full_project)[0]
    assert "University of Elsewhere" in html and "University of Example" not in html


def test_an_admin_rename_of_a_partner_organisation_is_seen_by_the_next_request(
    client, full_project, partner_member, partner_org, staff
):
    member = _client(partner_member)
    assert "University of Example" in _served_from_cache(member, full_project)
    url = reverse("admin:organisations_organisation_change", args=[partner_org.pk])
    client.force_login(staff)
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "logo"}
    data.update(
        {
            "name": "University of Adminton",
            "country": str(partner_org.country),
            "domains-TOTAL_FORMS": "0",
            "domains-INITIAL_FORMS": "0",
            "affiliations-TOTAL_FORMS": "0",
            "affiliations-INITIAL_FORMS": "0",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    html = _get(member, full_project)[0]
    assert "University of Adminton" in html and "University of Example" not in html


def test_a_members_name_change_is_seen_by_the_next_request(
    full_project, coordinator, partner_member
):
    client = _client(coordinator)
    assert "Pat Partner" in _served_from_cache(client, full_project)
    User.objects.filter(pk=partner_member.pk).update(first_name="Patricia")
    assert "Patricia Partner" in _get(client, full_project)[0]


def test_the_viewers_own_standing_changing_is_seen_by_the_next_request(
    full_project, partner_member
):
    """The viewer's standing: their access facts (and version), not the project's, change."""
    client = _client(partner_member)
    assert "Cohort of 400 recruited" in _served_from_cache(client, full_project)
    project_version = _version(full_project)
    Affiliation.objects.filter(user=partner_member).update(ended_at=timezone.now())
    Membership.objects.filter(user=partner_member).update(ended_at=timezone.now())
    html = _get(client, full_project)[0]
    assert "Cohort of 400 recruited" not in html
    assert "RESPIRE" in html  # the public card still shows
    assert project_version != _version(full_project)  # the membership row is on the page too


def test_the_next_day_shows_a_milestone_late(full_project, partner_member):
    """Nothing is written: the date in the key alone turns the page over at midnight."""
    today = timezone.localdate()
    MilestoneFactory(project=full_project, title="Due today", due_date=today)

    def at(day, hour, minute):
        moment = datetime.datetime.combine(day, datetime.time(hour, minute))
        return time_machine.travel(timezone.make_aware(moment), tick=False)

    with at(today, 23, 58):
        # Signed in at 23:58: a session started earlier today would be past its idle
        # timeout by then whenever the test runs before mid-afternoon.
        client = _client(partner_member)
        assert 'data-late-count="0"' in _served_from_cache(client, full_project)
    with at(today + datetime.timedelta(days=1), 0, 1):
        assert 'data-late-count="1"' in _get(client, full_project)[0]


# --- Nobody gets another person's fragment ----------------------------------------------
@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "anonymous"])
def test_a_persona_never_receives_an_insiders_fragment(leak_world, persona):  # noqa: F811
    hush = leak_world.hush
    url = f"/projects/{hush.slug}/"
    insider_html = as_persona(leak_world, "insider").get(url).content.decode()
    assert_canary(insider_html, CANARY_SUMMARY, CANARY_DATASET, CANARY_CONTROLLED)
    assert_canary(as_persona(leak_world, "insider").get(url).content.decode(), CANARY_SUMMARY)

    client = as_persona(leak_world, persona)
    for _ in range(2):  # the persona's own miss, then their own hit
        response = client.get(url)
        body = response.content.decode()
        assert_no_canary(body, CANARY_SUMMARY, CANARY_DATASET, CANARY_CONTROLLED, CANARY_DRAFT)
        assert_no_canary(body, *HIDDEN_PARTNERS)
    # And the other way round: the insider is not handed the persona's page.
    assert_canary(as_persona(leak_world, "insider").get(url).content.decode(), CANARY_SUMMARY)


def test_two_people_with_the_same_access_get_separate_entries(
    full_project, partner_member, partner_org_colleague
):
    from tests.projects.factories import MembershipFactory

    MembershipFactory(project=full_project, user=partner_org_colleague)
    keys = set()
    for user in (partner_member, partner_org_colleague):
        version, _ = _version(full_project)
        keys.add(page_cache.page_key(User.objects.get(pk=user.pk), full_project.pk, version))
    assert len(keys) == 2


# --- The cache never decides more than the database ---------------------------------------
def test_with_redis_stopped_the_page_answers_from_the_database(
    throwaway_redis,  # noqa: F811
    full_project,
    partner_member,
    outsider,
):
    client = _client(partner_member)
    assert "Cohort of 400 recruited" in _served_from_cache(client, full_project)
    throwaway_redis.kill()
    throwaway_redis.wait()
    access_facts_module.forget_local_memory()

    Dataset.objects.filter(project=full_project, title="Baseline cohort").update(
        title="Renamed while Redis is down"
    )
    assert "Renamed while Redis is down" in _get(client, full_project)[0]
    stranger = _client(outsider).get(f"/projects/{full_project.slug}/")
    assert stranger.status_code in (200, 404)
    assert "Cohort of 400 recruited" not in stranger.content.decode()


def test_with_the_cache_off_every_request_builds_the_page(settings, full_project, partner_member):
    settings.PROJECT_PAGE_CACHE = False
    client = _client(partner_member)
    _get(client, full_project)
    _, tables = _get(client, full_project)
    assert "projects_biomarker" in tables


# --- Query counts --------------------------------------------------------------------------
def test_a_hit_costs_fewer_statements_than_a_miss(
    full_project, partner_member, django_assert_num_queries
):
    client = _client(partner_member)
    with django_assert_num_queries(MISS_STATEMENTS):
        client.get(f"/projects/{full_project.slug}/")
    with django_assert_num_queries(HIT_STATEMENTS) as hit:
        client.get(f"/projects/{full_project.slug}/")
    assert any("projects_projectcontentversion" in q["sql"] for q in hit.captured_queries)


MISS_STATEMENTS = 27
# The session, the person with their access version, the project and its content version, and
# the unread digest.
HIT_STATEMENTS = 4


# --- The version is bumped at commit, without holding back other writers -----------------
def _pending_rows() -> int:
    return ProjectContentPending.objects.count()


def test_a_commit_turns_pending_writes_into_a_new_version(full_project):
    before, _ = _version(full_project)
    with transaction.atomic():
        BiomarkerFactory(project=full_project, name="Written in a transaction")
        assert _version(full_project) == (before, True)  # not yet a version, but known
        BiomarkerFactory(project=full_project, name="And another")
        assert _pending_rows() == 1  # one per project and transaction, however many writes
    after, pending = _version(full_project)
    assert after != before and not pending
    assert _pending_rows() == 0


def test_a_rolled_back_write_leaves_the_version_as_it_was(full_project):
    before = _version(full_project)
    with pytest.raises(RuntimeError), transaction.atomic():
        BiomarkerFactory(project=full_project, name="Never committed")
        raise RuntimeError
    assert _version(full_project) == before
    assert _pending_rows() == 0


def test_a_transaction_that_wrote_the_project_is_served_its_own_writes(
    full_project, partner_member
):
    client = _client(partner_member)
    _served_from_cache(client, full_project)
    with transaction.atomic():
        Dataset.objects.filter(project=full_project).update(title="Renamed, not committed")
        html, tables = _get(client, full_project)
        assert "Renamed, not committed" in html and "projects_biomarker" in tables
        transaction.set_rollback(True)
    html = _served_from_cache(client, full_project)  # nothing of it was stored
    assert "Renamed, not committed" not in html and "Baseline cohort" in html


@pytest.mark.slow
def test_a_long_transaction_in_a_project_does_not_hold_back_another_write_there(full_project):
    """An import writing a project for minutes must not make every other write in that
    project wait for it (the reason the version is bumped at commit, not at the write)."""
    written, release = threading.Event(), threading.Event()
    failures = []

    def long_writer():
        try:
            with transaction.atomic():
                BiomarkerFactory(project=full_project, name="Slow import")
                written.set()
                release.wait(20)
        except Exception as error:  # surfaced by the assertion below
            failures.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=long_writer)
    thread.start()
    try:
        assert written.wait(10)
        before, _ = _version(full_project)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")  # waiting would raise here
            BiomarkerFactory(project=full_project, name="Quick edit")
        middle, _ = _version(full_project)
        assert middle != before  # the quick edit is a version of its own at once
    finally:
        release.set()
        thread.join(30)
    assert not failures
    assert _version(full_project)[0] not in (before, middle)
    assert _pending_rows() == 0
