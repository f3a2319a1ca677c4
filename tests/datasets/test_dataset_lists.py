"""Dataset lists: only what the policy allows, filtered, paginated, in constant queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.access.facts import access_facts
from apps.core.models import AccessTier
from apps.datasets.models import Dataset, DatasetStatus
from apps.datasets.selectors import datasets_visible_to
from apps.projects.models import PartnerRole
from apps.security.middleware import SessionLifetimeMiddleware
from tests.datasets.factories import DatasetFactory
from tests.organisations.factories import AffiliationFactory, OrganisationFactory
from tests.projects.factories import DiseaseAreaFactory, PartnerFactory, ProjectFactory

LIST_URL = reverse("datasets:list")


def titles(response):
    return [dataset.title for dataset in response.context["page_obj"]]


def test_outsider_finds_a_consortium_dataset_in_no_list(
    client, outsider, project, consortium_dataset
):
    public = DatasetFactory(
        project=project, title="Public summary statistics", access_tier=AccessTier.PUBLIC
    )
    client.force_login(outsider)
    assert titles(client.get(LIST_URL)) == [public.title]
    assert titles(client.get(LIST_URL, {"q": "sputum"})) == []
    project_list = reverse("datasets:project_list", kwargs={"project_pk": project.pk})
    assert titles(client.get(project_list)) == [public.title]
    section = client.get(project_list).content.decode()
    assert consortium_dataset.title not in section


def test_partner_member_sees_consortium_and_draft_datasets_of_their_project(
    client, partner_member, consortium_dataset, draft_dataset, controlled_dataset
):
    client.force_login(partner_member)
    assert sorted(titles(client.get(LIST_URL))) == sorted(
        [consortium_dataset.title, draft_dataset.title, controlled_dataset.title]
    )


def test_anonymous_sees_only_the_public_catalogue(
    client, project, consortium_dataset, controlled_dataset
):
    public = DatasetFactory(project=project, title="Open summary", access_tier=AccessTier.PUBLIC)
    # A controlled dataset of a public project is listed in the catalogue (DESIGN.md §3).
    assert sorted(titles(client.get(LIST_URL))) == sorted([public.title, controlled_dataset.title])


def test_filters_by_project_disease_area_tier_and_search(
    client, partner_member, project, partner_org
):
    asthma = DiseaseAreaFactory(name="Asthma")
    project.disease_areas.add(asthma, DiseaseAreaFactory(name="COPD"))
    other = ProjectFactory()
    PartnerFactory(project=other, organisation=partner_org, role=PartnerRole.LEAD)
    DatasetFactory(project=project, title="Sputum proteomics", access_tier=AccessTier.CONSORTIUM)
    DatasetFactory(project=project, title="Genotypes", access_tier=AccessTier.CONTROLLED)
    DatasetFactory(project=other, title="Joint imaging", access_tier=AccessTier.CONSORTIUM)
    client.force_login(partner_member)
    assert sorted(titles(client.get(LIST_URL, {"disease_area": "asthma"}))) == [
        "Genotypes",
        "Sputum proteomics",
    ]
    assert titles(client.get(LIST_URL, {"project": str(other.pk)})) == ["Joint imaging"]
    assert titles(client.get(LIST_URL, {"tier": "controlled"})) == ["Genotypes"]
    assert titles(client.get(LIST_URL, {"q": "PROTEO"})) == ["Sputum proteomics"]
    assert len(titles(client.get(LIST_URL, {"tier": "nonsense"}))) == 3


def test_sorting_and_pagination(client, partner_member, project):
    for number in range(30):
        DatasetFactory(project=project, title=f"Dataset {number:02d}")
    client.force_login(partner_member)
    first = client.get(LIST_URL, {"sort": "-title"})
    assert titles(first)[0] == "Dataset 29"
    assert len(titles(first)) == 25
    assert titles(client.get(LIST_URL, {"sort": "-title", "page": 2}))[-1] == "Dataset 00"


def test_project_list_for_personas(client, outsider, partner_member, project):
    project.summary_visibility = "members"
    project.save()
    url = reverse("datasets:project_list", kwargs={"project_pk": project.pk})
    assert client.get(url).status_code == 404
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(partner_member)
    response = client.get(url)
    assert response.status_code == 200
    assert (
        reverse("datasets:create", kwargs={"project_pk": project.pk}) in response.content.decode()
    )


def main_table(sql: str) -> str:
    """The table a statement selects from (the first FROM, not a subquery's)."""
    return sql.split(" FROM ", 1)[1].split()[0] if " FROM " in sql else ""


def _member_of_five_consortia():
    organisation = OrganisationFactory(name="Member organisation")
    affiliation = AffiliationFactory(organisation=organisation)
    projects = [ProjectFactory() for _ in range(5)]
    for project in projects:
        PartnerFactory(project=project, organisation=organisation)
    strangers = [ProjectFactory() for _ in range(5)]
    steward = OrganisationFactory(name="Steward")
    for project in strangers:
        PartnerFactory(project=project, organisation=steward)
    return affiliation.user, projects, strangers, steward


def _bulk_datasets(projects, steward, count: int, start: int = 0) -> None:
    tiers = [
        AccessTier.CONSORTIUM,
        AccessTier.CONTROLLED,
        AccessTier.ORGANISATIONS,
        AccessTier.REGISTERED,
    ]
    rows = (
        Dataset(
            project=projects[number % len(projects)],
            title=f"Dataset {number:06d}",
            steward_organisation=steward,
            access_tier=tiers[number % len(tiers)],
            status=DatasetStatus.PUBLISHED,
        )
        for number in range(start, start + count)
    )
    Dataset.objects.bulk_create(rows, batch_size=5000)


@pytest.mark.slow
def test_listing_100000_datasets_for_a_member_of_five_consortia_uses_constant_queries(
    client, db, monkeypatch
):
    # The session is touched (three statements more) once a minute; inserting 100,000 rows
    # between the two measured requests can take longer than that on a busy machine.
    monkeypatch.setattr(SessionLifetimeMiddleware, "TOUCH_EVERY", 3600)
    user, projects, strangers, steward = _member_of_five_consortia()
    client.force_login(user)
    _bulk_datasets(projects + strangers, steward, 20)
    client.get(LIST_URL)  # warm caches (content types, sessions)
    # Both measured pages count afresh: this test's transaction wrote the projects and has
    # not committed, so nothing is served from, or stored in, the cache (issue 16).
    with CaptureQueriesContext(connection) as small:
        assert client.get(LIST_URL).status_code == 200

    _bulk_datasets(projects + strangers, steward, 100_000 - 20, start=20)
    with CaptureQueriesContext(connection) as large:
        response = client.get(LIST_URL)
    assert response.status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)
    # Own consortia: every tier. Strangers' (public) projects: registered, and controlled as
    # catalogue entries (DESIGN.md §3).
    catalogue = [AccessTier.REGISTERED, AccessTier.CONTROLLED]
    expected = (
        Dataset.objects.filter(project__in=projects).count()
        + Dataset.objects.filter(project__in=strangers, access_tier__in=catalogue).count()
    )
    assert expected == 80_000
    assert response.context["page_obj"].paginator.count == expected

    statements = [query["sql"] for query in large.captured_queries]
    dataset_statements = [sql for sql in statements if main_table(sql) == '"datasets_dataset"']
    assert len(dataset_statements) == 2  # the page count and the page rows, nothing per row
    # (PostgreSQL binds a list as one array; SQLite, which has none, as a list of values.)
    as_parameters = "= ANY(" if connection.vendor == "postgresql" else " IN ("
    for sql in dataset_statements:
        # Visibility is embedded in each statement; the person's standing (organisations,
        # partner projects, grants) comes as parameters from their cached access facts,
        # not as subqueries the planner works through again for every statement.
        assert as_parameters in sql and '"organisations_affiliation"' not in sql
    # Nothing fetches the person's organisations or projects as a statement of its own: the
    # facts were read by the warm-up request and are cached under the person's version.
    subject_tables = {'"organisations_affiliation"', '"projects_partner"', '"projects_membership"'}
    assert not [sql for sql in statements if main_table(sql) in subject_tables]


def test_visibility_is_one_sql_statement(partner_member, project):
    for _ in range(3):
        DatasetFactory(project=project)
    access_facts(partner_member)  # the person's standing: read once, cached by version
    with CaptureQueriesContext(connection) as captured:
        rows = list(datasets_visible_to(partner_member)[:25])
    assert len(rows) == 3
    assert len(captured.captured_queries) == 1


def test_list_page_query_count_does_not_grow_with_rows(
    client, partner_member, project, django_assert_max_num_queries
):
    for _ in range(3):
        DatasetFactory(project=project)
    client.force_login(partner_member)
    client.get(LIST_URL)
    few = list_page_queries(client)
    for _ in range(20):
        DatasetFactory(project=project)
    assert list_page_queries(client) == few


def list_page_queries(client) -> tuple[int, int]:
    """Queries of the list page, twice (built both times in a test transaction that wrote the
    datasets; served from the cache: tests/datasets/test_dataset_list_cache.py)."""
    with CaptureQueriesContext(connection) as uncached:
        client.get(LIST_URL)
    with CaptureQueriesContext(connection) as cached:
        client.get(LIST_URL)
    return len(uncached), len(cached)


def test_the_count_is_cached_per_person_and_never_shown_to_another(
    client, partner_member, outsider, project, consortium_dataset
):
    DatasetFactory(project=project, title="Open summary", access_tier=AccessTier.PUBLIC)
    client.force_login(partner_member)
    assert client.get(LIST_URL).context["page_obj"].paginator.count == 2
    client.force_login(outsider)
    assert client.get(LIST_URL).context["page_obj"].paginator.count == 1
    client.logout()
    assert client.get(LIST_URL).context["page_obj"].paginator.count == 1
    client.force_login(partner_member)
    assert client.get(LIST_URL).context["page_obj"].paginator.count == 2


def test_the_count_is_cached_per_filter(client, partner_member, project, consortium_dataset):
    DatasetFactory(project=project, title="Genotypes", access_tier=AccessTier.CONTROLLED)
    client.force_login(partner_member)
    assert client.get(LIST_URL).context["page_obj"].paginator.count == 2
    filtered = client.get(LIST_URL, {"tier": "controlled"})
    assert filtered.context["page_obj"].paginator.count == 1
    searched = client.get(LIST_URL, {"q": "genotypes"})
    assert searched.context["page_obj"].paginator.count == 1


def test_a_saved_dataset_shows_in_the_cached_count_at_once(
    client, partner_member, project, consortium_dataset
):
    client.force_login(partner_member)
    assert client.get(LIST_URL).context["page_obj"].paginator.count == 1
    DatasetFactory(project=project, title="Later dataset")
    assert client.get(LIST_URL).context["page_obj"].paginator.count == 2
