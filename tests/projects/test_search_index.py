import pytest
from django.db import connection

from apps.projects.models import Project
from apps.projects.search import project_search
from tests.projects.factories import ProjectFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text only"),
]


def test_the_gin_index_exists_and_the_planner_can_use_it_for_catalogue_searches():
    queryset = project_search(Project.objects.all(), "asthma").only("id")
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'project_search_idx'")
        assert "gin" in cursor.fetchone()[0]
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "project_search_idx" in plan, plan


def matches(text: str) -> set[str]:
    return set(project_search(Project.objects.all(), text).values_list("acronym", flat=True))


def test_the_stored_vector_follows_inserts_updates_and_bulk_inserts():
    project = ProjectFactory(acronym="ZEBRA", title="Zebrafish models", summary="Fins.")
    assert matches("zebrafish") == {"ZEBRA"}

    project.title = "Medaka models"
    project.save()
    assert matches("zebrafish") == set() and matches("medaka") == {"ZEBRA"}

    # Services write the denormalised names with a queryset update, not save().
    Project.objects.filter(pk=project.pk).update(disease_area_names="Bronchiectasis")
    assert matches("bronchiectasis") == {"ZEBRA"}

    Project.objects.bulk_create([ProjectFactory.build(acronym="OKAPI", summary="Okapi cohort.")])
    assert matches("okapi") == {"OKAPI"}


def test_title_words_rank_above_summary_words():
    ProjectFactory(acronym="TITLE", title="Sarcoidosis registry", summary="A registry.")
    ProjectFactory(acronym="SUMMARY", title="Lung registry", summary="Includes sarcoidosis.")
    ranked = project_search(Project.objects.all(), "sarcoidosis").order_by("-rank")
    assert list(ranked.values_list("acronym", flat=True)) == ["TITLE", "SUMMARY"]
