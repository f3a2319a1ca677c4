"""Lists across projects cached under the catalogue version (issue 16): the catalogue's
results, the dataset list's rows and count, the API dataset list's pages.

- Coverage by construction: every table a cached list reads while it is built, for the
  personas of the leak tests and with every filter, bumps a project (and so the catalogue) in
  `apps.projects.content_versions.BUMPS`, or is exempted below with its reason.
- The catalogue: a hit reads no project; each write path is seen by the next request,
  anonymous visitors included; nobody is handed a signed-in person's results.
(The dataset list and the API list have their own files: tests/datasets/test_dataset_list_cache.py
and tests/api/test_list_cache.py.)
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.access import facts as access_facts_module
from apps.api.views import items as api_items
from apps.diseases.models import DiseaseArea
from apps.projects import page_cache
from apps.projects.models import Project
from tests.access.leaks.conftest import (  # noqa: F401  (leak_world: a fixture)
    CANARY_SUMMARY,
    HUSH_ACRONYM,
    PERSONAS,
    as_persona,
    leak_world,
)
from tests.api.conftest import client_for
from tests.projects.cache_coverage import EXEMPT, assert_every_table_bumps, record_builds
from tests.projects.factories import DiseaseAreaFactory, ProjectFactory


@pytest.fixture
def tables_read(monkeypatch) -> dict[str, set[str]]:
    return record_builds(monkeypatch, page_cache, api_items)


@pytest.mark.django_db
def test_every_table_a_cached_list_reads_bumps_the_catalogue(leak_world, tables_read):  # noqa: F811
    area = DiseaseArea.objects.filter(projects__isnull=False).first() or DiseaseAreaFactory()
    hush = leak_world.hush
    pages = [
        ("/projects/", {}),
        ("/projects/", {"q": "asthma biomarkers", "sort": "acronym"}),
        ("/projects/", {"disease_area": area.slug, "kind": "pharma", "status": "active"}),
        ("/projects/", {"organisation_name": "Pharma"}),
        ("/datasets/", {}),
        ("/datasets/", {"q": "cohort", "tier": "controlled", "sort": "-steward"}),
        ("/datasets/", {"project": str(hush.pk), "disease_area": area.slug}),
        ("/datasets/", {"project_name": "HUSH", "sort": "project", "page": "2"}),
    ]
    for persona in (*PERSONAS, "insider", "respire_coordinator"):
        access_facts_module.forget_local_memory()
        client = as_persona(leak_world, persona)
        for url, params in pages:
            assert client.get(url, params).status_code == 200
        user = leak_world.personas.get(persona) or getattr(leak_world, persona, None)
        if user is not None and user.is_authenticated:
            api = client_for(user)
            for query in ("", "?page_size=5", "?access_tier=controlled", f"?project={hush.pk}"):
                assert api.get(f"/api/v1/datasets/{query}").status_code == 200
            indented = api.get("/api/v1/datasets/", HTTP_ACCEPT="application/json; indent=2")
            assert indented.status_code == 200
    assert {"catalogue", "datasets", "api-datasets", "api-datasets-json"} <= set(tables_read)
    assert "projects_project" in tables_read["catalogue"]
    assert "datasets_dataset" in tables_read["datasets"] | tables_read["api-datasets-json"]
    assert_every_table_bumps(tables_read, EXEMPT)


# --- The catalogue's results, served from the cache ---------------------------------------


def _get(client, params=None) -> tuple[str, bool]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/projects/", params or {})
    assert response.status_code == 200
    read = any('FROM "projects_project"' in q["sql"] for q in captured.captured_queries)
    return response.content.decode(), read


def _served_from_cache(client, params=None) -> str:
    _get(client, params)
    html, read = _get(client, params)
    assert not read, "the second request should be a cache hit"
    return html


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres_and_redis")
def test_anonymous_visitors_see_a_rename_at_once():
    project = ProjectFactory(title="Airway stratification", acronym="AIRWAY")
    visitor = Client()
    assert "Airway stratification" in _served_from_cache(visitor)
    Project.objects.filter(pk=project.pk).update(title="Airway endotypes")
    html = _get(visitor)[0]
    assert "Airway endotypes" in html and "Airway stratification" not in html


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres_and_redis")
def test_a_search_is_cached_per_query_and_sees_raw_sql():
    ProjectFactory(title="Airway stratification", acronym="AIRWAY")
    ProjectFactory(title="Renal stratification", acronym="RENAL")
    visitor = Client()
    assert "RENAL" not in _served_from_cache(visitor, {"q": "airway"})
    assert "RENAL" in _served_from_cache(visitor, {"q": "renal"})
    with connection.cursor() as cursor:
        cursor.execute("UPDATE projects_project SET title = 'Airway renal' WHERE acronym = 'RENAL'")
    assert "RENAL" in _get(visitor, {"q": "airway"})[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres_and_redis")
def test_moving_a_disease_area_under_another_is_seen_by_a_filter_on_the_new_parent():
    parent = DiseaseAreaFactory(name="Respiratory")
    child = DiseaseAreaFactory(name="Severe asthma")
    project = ProjectFactory(title="Airway stratification", acronym="AIRWAY")
    project.disease_areas.add(child)
    visitor = Client()
    assert "AIRWAY" not in _served_from_cache(visitor, {"disease_area": parent.slug})
    DiseaseArea.objects.filter(pk=child.pk).update(parent=parent)
    assert "AIRWAY" in _get(visitor, {"disease_area": parent.slug})[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres_and_redis")
@pytest.mark.parametrize("persona", PERSONAS)
def test_an_insiders_results_are_never_handed_to_a_persona(leak_world, persona):  # noqa: F811
    search = {"q": CANARY_SUMMARY}  # matches HUSH only through its members-only summary
    insider = as_persona(leak_world, "insider")
    assert HUSH_ACRONYM in _served_from_cache(insider, search)
    html = _get(as_persona(leak_world, persona), search)[0]
    assert HUSH_ACRONYM not in html and "0 projects matching" in html
