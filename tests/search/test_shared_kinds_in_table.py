"""The shared kinds in the search table (issue 22): their projections are generated from the
registry (`apps.core.kinds`), so every registered kind — datasets, protocols, analyses — has
entries that say what the ORM search (`apps.search.selectors`, the SQLite path) says of its
rows; and analyses, the kind that came last, are kept fresh by the triggers and found through
the table, like the others."""

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from apps.access.policy import visible
from apps.analyses import services
from apps.analyses.models import Analysis
from apps.core.kinds import shared_kinds
from apps.core.models import AccessTier
from apps.projects.models import Project, ProjectStatus
from apps.search.index import PROJECTIONS, TABLE
from apps.search.selectors import BY_NAME, search
from tests.analyses.factories import AnalysisFactory
from tests.kinds import BUILDERS

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the search table is PostgreSQL's"
    ),
]

KINDS = shared_kinds()
ENTRY_COLUMNS = ("project_id", "tier", "status", "organisation_id", "year", "moment", "title")


def entries(kind: str) -> dict:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT object_id, {', '.join(ENTRY_COLUMNS)} FROM {TABLE} WHERE kind = %s",  # noqa: S608
            [kind],
        )
        return {row[0]: tuple(row[1:]) for row in cursor.fetchall()}


def as_the_orm_says(kind_name: str, staff) -> dict:
    """Each row's entry columns as the ORM search computes them (`selectors.Kind`)."""
    kind = BY_NAME[kind_name]
    rows = visible(staff, kind.model._default_manager.all()).annotate(
        e_tier=kind.tier(),
        e_status=kind.status(),
        e_org=kind.organisation(),
        e_year=kind.year(),
        e_moment=F(kind.moment),
    )
    return {
        row.pk: (
            row.project_id,
            row.e_tier,
            row.e_status or "",
            row.e_org,
            row.e_year,
            row.e_moment,
            getattr(row, kind.title),
        )
        for row in rows
    }


@pytest.mark.parametrize("kind", KINDS, ids=[kind.name for kind in KINDS])
def test_each_shared_kinds_entries_say_what_the_orm_search_says(kind, project, staff):
    for tier in kind.tiers:
        BUILDERS[kind.name](project, tier, title=f"{tier} {kind.name} of the registry")
    expected = as_the_orm_says(kind.name, staff)
    assert len(expected) == len(kind.tiers)
    assert entries(kind.name) == expected


@pytest.mark.parametrize("kind", KINDS, ids=[kind.name for kind in KINDS])
def test_each_shared_kinds_text_is_its_declared_fields(kind, project):
    """The entry's document and title vector equal the kind's own stored vectors, which its
    app's migration built from the same declared fields (search/0001, analyses/0002)."""
    for tier in kind.tiers:
        BUILDERS[kind.name](project, tier, title=f"Stratified {tier} cut-off derivations")
    table, _ = PROJECTIONS[kind.name]
    assert table == apps.get_model(kind.model)._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), count(*) FILTER (WHERE e.document = s.search_document "  # noqa: S608
            f"AND e.title_doc = s.search_title) FROM {TABLE} e JOIN {table} s "
            "ON s.id = e.object_id WHERE e.kind = %s",
            [kind.name],
        )
        count, equal = cursor.fetchone()
    assert count == equal == len(kind.tiers)


def analyses_found(user, text: str) -> set:
    return {result.id for result in search(user, text).results if result.kind == "analysis"}


def entry_title(pk) -> str | None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT title FROM {TABLE} WHERE kind = 'analysis' AND object_id = %s",  # noqa: S608
            [pk],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def test_an_analysis_written_by_its_services_is_searched_as_written_at_once(project, coordinator):
    anonymous = AnonymousUser()
    analysis = services.analysis_create(
        project=project,
        actor=coordinator,
        title="Okapiword cut-off derivation",
        description="Blood eosinophil threshold for the T2-high stratum.",
        access_tier=AccessTier.PUBLIC,
    )
    assert analysis.pk in analyses_found(anonymous, "okapiword")

    services.analysis_update(analysis=analysis, actor=coordinator, title="Narwhalword model")
    assert analysis.pk not in analyses_found(anonymous, "okapiword")
    assert analysis.pk in analyses_found(anonymous, "narwhalword")

    # Hidden: now the consortium's only.
    services.analysis_update(
        analysis=analysis, actor=coordinator, access_tier=AccessTier.CONSORTIUM
    )
    assert analysis.pk not in analyses_found(anonymous, "narwhalword")
    assert analysis.pk in analyses_found(coordinator, "narwhalword")


def test_an_analysis_changed_in_bulk_or_by_raw_sql_is_searched_as_changed_at_once(
    project, coordinator
):
    anonymous = AnonymousUser()
    analysis = AnalysisFactory(
        project=project, title="Hidden draft", access_tier=AccessTier.CONSORTIUM
    )
    assert analysis.pk not in analyses_found(anonymous, "hidden")

    Analysis.objects.filter(pk=analysis.pk).update(
        title="Ibexword stratification model", access_tier=AccessTier.PUBLIC
    )
    assert analysis.pk in analyses_found(anonymous, "ibexword")

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE analyses_analysis SET description = 'Quaggaword notebook', "
            "access_tier = 'registered' WHERE id = %s",
            [analysis.pk],
        )
    assert analysis.pk not in analyses_found(anonymous, "quaggaword")
    assert analysis.pk in analyses_found(coordinator, "quaggaword")

    # The project's status decides its items' visibility: the project's trigger re-projects them.
    Analysis.objects.filter(pk=analysis.pk).update(access_tier=AccessTier.PUBLIC)
    assert analysis.pk in analyses_found(anonymous, "quaggaword")
    Project.objects.filter(pk=project.pk).update(status=ProjectStatus.WITHDRAWN)
    assert analysis.pk not in analyses_found(anonymous, "quaggaword")
    assert analysis.pk in analyses_found(coordinator, "quaggaword")


def test_a_deleted_analysis_leaves_the_table_at_once(project, coordinator):
    kept, by_instance, by_queryset, by_sql = (
        AnalysisFactory(project=project, title=f"Tapirword {n}") for n in range(4)
    )
    assert analyses_found(coordinator, "tapirword") == {
        kept.pk,
        by_instance.pk,
        by_queryset.pk,
        by_sql.pk,
    }
    by_instance.delete()
    Analysis.objects.filter(pk=by_queryset.pk).delete()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM analyses_analysis WHERE id = %s", [by_sql.pk])
    assert analyses_found(coordinator, "tapirword") == {kept.pk}
    assert [entry_title(row.pk) for row in (by_instance, by_queryset, by_sql)] == [None] * 3


def test_analyses_are_searched_through_the_table_not_their_own_table(project, coordinator):
    """The candidates come from the search table; the analyses' own table is read only to show
    the rows on the page (through the policy), and not at all when none matched."""
    analysis = AnalysisFactory(project=project, title="Wapitiword derivation")
    search(coordinator, "nothing matches this")  # the person's facts are read once, then cached

    def statements_naming_analyses(text: str) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            page = search(coordinator, text)
        named = [q["sql"] for q in captured.captured_queries if '"analyses_analysis"' in q["sql"]]
        return page, named

    page, named = statements_naming_analyses("wapitiword")
    assert [result.id for result in page.results] == [analysis.pk]
    assert page.facets["kind"][0].value == "analysis"
    assert len(named) == 1  # the display read of the page's analyses
    page, named = statements_naming_analyses("asthma")
    assert named == []
