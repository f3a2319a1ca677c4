import pytest
from django.db import connection
from django.db.models import Q

from apps.access.policy import NOTHING
from apps.projects.models import Project
from apps.projects.search import project_search
from tests.projects.factories import ProjectFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL full-text only"),
]


EVERYTHING = Q()  # `full_text` for someone who may read every project (staff)


def test_both_gin_indexes_exist_and_the_planner_can_use_them_for_catalogue_searches():
    queryset = project_search(Project.objects.all(), "asthma", full_text=EVERYTHING).only("id")
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        for index in ("project_search_idx", "project_card_search_idx"):
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [index])
            assert "gin" in cursor.fetchone()[0]
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "project_search_idx" in plan and "project_card_search_idx" in plan, plan


def matches(text: str, full_text: Q = EVERYTHING) -> set[str]:
    found = project_search(Project.objects.all(), text, full_text=full_text)
    return set(found.values_list("acronym", flat=True))


def test_the_stored_vector_follows_inserts_updates_and_bulk_inserts():
    project = ProjectFactory(acronym="ZEBRA", title="Zebrafish models", summary="Fins.")
    assert matches("zebrafish") == {"ZEBRA"}

    project.title = "Medaka models"
    project.save()
    assert matches("zebrafish") == set() and matches("medaka") == {"ZEBRA"}

    # Services write the denormalised names with a queryset update, not save().
    Project.objects.filter(pk=project.pk).update(disease_area_names="Bronchiectasis")
    assert matches("bronchiectasis") == {"ZEBRA"}

    assert matches("bronchiectasis", full_text=NOTHING) == {"ZEBRA"}  # the card vector too

    Project.objects.bulk_create([ProjectFactory.build(acronym="OKAPI", summary="Okapi cohort.")])
    assert matches("okapi") == {"OKAPI"}


def test_without_the_right_to_read_the_whole_project_only_its_card_text_matches():
    ProjectFactory(acronym="TAPIR", title="Tapir cohort", summary="Confidential quokka plans.")
    assert matches("quokka") == {"TAPIR"}
    assert matches("quokka", full_text=NOTHING) == set()
    assert matches("tapir", full_text=NOTHING) == {"TAPIR"}
    # A negated summary word cannot tell an outsider anything either: the card has no quokka.
    assert matches("tapir -quokka", full_text=NOTHING) == {"TAPIR"}
    assert matches("tapir -quokka") == set()


def test_title_words_rank_above_summary_words():
    ProjectFactory(acronym="TITLE", title="Sarcoidosis registry", summary="A registry.")
    ProjectFactory(acronym="SUMMARY", title="Lung registry", summary="Includes sarcoidosis.")
    found = project_search(Project.objects.all(), "sarcoidosis", full_text=EVERYTHING)
    ranked = found.order_by("-rank")
    assert list(ranked.values_list("acronym", flat=True)) == ["TITLE", "SUMMARY"]
