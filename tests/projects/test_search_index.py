import pytest
from django.db import connection

from apps.projects.models import Project
from apps.projects.search import project_search

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
