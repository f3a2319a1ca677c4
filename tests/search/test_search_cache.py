"""Search pages and suggestions cached under the catalogue version (apps.search.result_cache).

- Coverage by construction: every table a search or a suggestion reads while it is built — for
  the personas of the leak tests and their controls, every kind, every facet, the page, the
  API and the header box — bumps the catalogue (`apps.projects.content_versions.BUMPS`) or is
  exempted with its reason (tests/projects/test_catalogue_cache.py's EXEMPT).
- Behaviour, on PostgreSQL with Redis: a hit reads no searched row; each write path (update(),
  raw SQL, an organisation in no project renamed, a person deactivated) is seen by the very
  next request; an insider's cached answer is never handed to a persona.
"""

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.renderers import JSONRenderer

from apps.access import facts as access_facts_module
from apps.accounts.models import User
from apps.organisations.models import Organisation
from apps.projects.models import Project
from apps.search import result_cache
from tests.access.leaks.conftest import (  # noqa: F401  (leak_world: a fixture)
    CANARY_DATASET,
    CANARY_SUMMARY,
    HUSH_ACRONYM,
    PERSONAS,
    as_persona,
    leak_world,
)
from tests.api.conftest import client_for
from tests.organisations.factories import OrganisationFactory
from tests.projects.cache_coverage import EXEMPT, assert_every_table_bumps, record_builds
from tests.projects.factories import MembershipFactory, ProjectFactory

QUESTIONS = [
    {"q": "stratification"},
    {"q": CANARY_SUMMARY},
    {"q": "hushed consortium", "kind": "project"},
    {"q": "quokka", "tier": "consortium"},
    {"q": "cohort", "kind": "dataset", "status": "draft"},
    {"q": "pharma", "kind": "organisation", "organisation_kind": "pharma"},
    {"q": "astma"},
    {"q": "J45"},
    {"q": "D2.1"},
    {"q": "stratification", "year": "2026"},
]


@pytest.fixture
def tables_read(monkeypatch) -> dict[str, set[str]]:
    return record_builds(monkeypatch, result_cache)


@pytest.mark.django_db
def test_every_table_a_search_reads_bumps_the_catalogue(leak_world, tables_read):  # noqa: F811
    organisation = leak_world.hush_lead_org
    questions = [*QUESTIONS, {"q": "hush", "organisation": str(organisation.pk)}]
    for persona in (*PERSONAS, "insider", "respire_coordinator"):
        access_facts_module.forget_local_memory()
        client = as_persona(leak_world, persona)
        for params in questions:
            assert client.get("/search/", params).status_code == 200
        for typed in ("hu", "quokka", "strat"):
            assert client.get("/search/suggest/", {"q": typed}).status_code == 200
        user = leak_world.personas.get(persona) or getattr(leak_world, persona, None)
        if user is not None and user.is_authenticated:
            api = client_for(user)
            for params in questions[:4]:
                assert api.get("/api/v1/search/", {**params, "page_size": 2}).status_code == 200
    assert {"search", "suggest", "api-search"} <= set(tables_read)
    assert "organisations_organisation" in tables_read["search"]
    assert_every_table_bumps(tables_read, EXEMPT)


# --- Behaviour, with the Redis cache --------------------------------------------------------


def _search(client, params) -> tuple[str, bool]:
    """The page's HTML, and whether building it read the search table."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/search/", params)
    assert response.status_code == 200
    built = any("search_entry" in query["sql"] for query in captured.captured_queries)
    return response.content.decode(), built


def _from_cache(client, params) -> str:
    _search(client, params)
    html, built = _search(client, params)
    assert not built, "the second request should be a cache hit"
    return html


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres_and_redis")
def test_a_rename_by_update_is_found_by_the_very_next_search():
    project = ProjectFactory(title="Airway stratification", acronym="AIRWAY")
    visitor = Client()
    assert "AIRWAY" in _from_cache(visitor, {"q": "airway"})
    Project.objects.filter(pk=project.pk).update(title="Renal stratification", acronym="RENAL")
    html, built = _search(visitor, {"q": "airway"})
    assert built and "AIRWAY" not in html
    assert "RENAL" in _search(visitor, {"q": "renal"})[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres_and_redis")
def test_raw_sql_is_seen_by_the_next_suggestion():
    ProjectFactory(title="Airway stratification", acronym="AIRWAY")
    visitor = Client()
    visitor.get("/search/suggest/", {"q": "airway"})
    assert "AIRWAY" in visitor.get("/search/suggest/", {"q": "airway"}).content.decode()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE projects_project SET title = 'Renal', acronym = 'RENAL'")
    html = visitor.get("/search/suggest/", {"q": "airway"}).content.decode()
    assert "AIRWAY" not in html


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres_and_redis")
def test_an_organisation_in_no_project_renamed_is_found_under_its_new_name():
    organisation = OrganisationFactory(name="Solitary Biologics")
    visitor = Client()
    assert "Solitary Biologics" in _from_cache(visitor, {"q": "solitary"})
    Organisation.objects.filter(pk=organisation.pk).update(name="Lonely Biologics")
    html = _search(visitor, {"q": "solitary"})[0]
    assert "Solitary Biologics" not in html
    assert "Lonely Biologics" in _search(visitor, {"q": "lonely"})[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres_and_redis")
def test_a_deactivated_colleague_leaves_the_cached_people_results(search_world, coordinator):
    client = Client()
    client.force_login(coordinator)
    assert "Eleanor Brightwater" in _from_cache(client, {"q": "brightwater"})
    User.objects.filter(pk=search_world.colleague.pk).update(is_active=False)
    assert "Eleanor Brightwater" not in _search(client, {"q": "brightwater"})[0]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres_and_redis")
def test_the_api_answers_the_same_bytes_from_the_cache():
    ProjectFactory(title="Airway stratification", acronym="AIRWAY")
    user = MembershipFactory(project=ProjectFactory(acronym="OTHER")).user
    api = client_for(user)
    first = api.get("/api/v1/search/", {"q": "airway stratification"})
    with CaptureQueriesContext(connection) as captured:
        second = api.get("/api/v1/search/", {"q": "airway stratification"})
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and b"AIRWAY" in second.content
    assert not any("search_entry" in query["sql"] for query in captured.captured_queries)
    # The bytes are DRF's own JSONRenderer's for the same data, and a client asking for
    # indentation gets that data indented.
    assert JSONRenderer().render(json.loads(second.content)) == second.content
    indented = api.get(
        "/api/v1/search/", {"q": "airway stratification"}, HTTP_ACCEPT="application/json; indent=2"
    )
    assert indented.status_code == 200 and b'\n  "' in indented.content
    assert json.loads(indented.content) == json.loads(second.content)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres_and_redis")
def test_an_api_search_hit_is_served_without_validating_again_and_bad_input_stays_refused(
    monkeypatch,
):
    ProjectFactory(title="Airway stratification", acronym="AIRWAY")
    api = client_for(MembershipFactory(project=ProjectFactory(acronym="OTHER")).user)
    first = api.get("/api/v1/search/", {"q": "airway stratification"})
    assert first.status_code == 200

    def no_form(*args, **kwargs):
        raise AssertionError("a cached answer was validated again")

    # A hit is keyed on the whole URI, and only a valid question's answer is ever stored.
    monkeypatch.setattr("apps.api.views.search.SearchForm", no_form)
    again = api.get("/api/v1/search/", {"q": "airway stratification"})
    assert again.status_code == 200 and again.content == first.content
    monkeypatch.undo()
    for bad in (
        {"q": "airway stratification", "cursor": "not-a-cursor"},
        {"q": "airway stratification", "page_size": "0"},
        {"q": "airway stratification", "kind": ""},
    ):
        for _ in range(2):  # nothing of a refusal is stored: the second ask is refused too
            refused = api.get("/api/v1/search/", bad)
            assert refused.status_code == 400
            assert refused["Content-Type"].startswith("application/problem+json")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres_and_redis")
def test_a_search_page_hit_is_served_without_validating_again_and_bad_input_stays_refused(
    monkeypatch,
):
    ProjectFactory(title="Airway stratification", acronym="AIRWAY")
    client = Client()
    client.force_login(MembershipFactory(project=ProjectFactory(acronym="OTHER")).user)
    first = client.get("/search/", {"q": "  airway stratification "})
    assert first.status_code == 200 and b"AIRWAY" in first.content
    assert b'value="airway stratification"' in first.content  # the text as understood

    def no_form(*args, **kwargs):
        raise AssertionError("a cached answer was validated again")

    monkeypatch.setattr("apps.search.views.SearchForm", no_form)
    again = client.get("/search/", {"q": "  airway stratification "})
    assert again.status_code == 200 and b"AIRWAY" in again.content
    assert b'value="airway stratification"' in again.content
    monkeypatch.undo()
    for _ in range(2):  # nothing of a refusal is stored: the second ask is explained too
        refused = client.get("/search/", {"q": "airway", "year": "1800"})
        assert refused.status_code == 400
        assert b"is-invalid" in refused.content and b"AIRWAY" not in refused.content


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres_and_redis")
@pytest.mark.parametrize("persona", PERSONAS)
def test_an_insiders_cached_answer_is_never_handed_to_a_persona(leak_world, persona):  # noqa: F811
    for canary in (CANARY_SUMMARY, CANARY_DATASET):
        insider_page = _from_cache(as_persona(leak_world, "insider"), {"q": canary})
        assert f"result for “{canary}”" in insider_page  # one result, the insider's
        html = _search(as_persona(leak_world, persona), {"q": canary})[0]
        assert f"0 results for “{canary}”" in html
        assert HUSH_ACRONYM not in html
