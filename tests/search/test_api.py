"""`GET /api/v1/search/`: the same search as the page, in the schema, paged by cursor."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.api.conftest import client_for, token_for

pytestmark = pytest.mark.django_db
URL = "/api/v1/search/"


def test_anonymous_callers_search_the_public_catalogue(search_world):
    response = APIClient().get(URL, {"q": "eosinophil"})
    assert response.status_code == 200
    body = response.json()
    first = next(r for r in body["results"] if r["kind"] == "biomarker")
    assert first["id"] == str(search_world.eosinophil.pk)
    assert first["project"]["acronym"] == "RESPIRE"
    assert first["access_tier"] == "public"
    assert "<mark>" in first["snippet_html"]
    assert {"value": "biomarker", "label": "Biomarkers and companion diagnostics", "count": 1} in (
        body["facets"]["kind"]
    )


def test_a_facet_narrows_the_results(search_world):
    body = APIClient().get(URL, {"q": "asthma", "kind": "dataset"}).json()
    assert {r["kind"] for r in body["results"]} == {"dataset"}
    assert body["total"] == len(body["results"])


def test_pages_follow_the_cursor(search_world, coordinator):
    client = client_for(coordinator)
    seen, url, params = [], URL, {"q": "asthma", "page_size": 1}
    while url:
        body = client.get(url, params).json()
        seen.extend(r["id"] for r in body["results"])
        url, params = body["next"], None
    assert len(seen) == len(set(seen)) >= 3
    whole = client.get(URL, {"q": "asthma", "page_size": 100}).json()
    assert [r["id"] for r in whole["results"]] == seen


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": ""},
        {"q": "x" * 201},
        {"q": "asthma", "page_size": "0"},
        {"q": "asthma", "page_size": "101"},
        {"q": "asthma", "kind": "spaceship"},
        {"q": "asthma", "year": "1800"},
        {"q": "asthma", "cursor": "not-a-cursor"},
        {"q": "asthma", "organisation": "not-a-uuid"},
    ],
)
def test_bad_parameters_get_a_clear_400(search_world, params):
    response = APIClient().get(URL, params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")


def test_a_nul_in_the_query_is_a_400(search_world):
    response = APIClient().get(URL + "?q=asth%00ma")
    assert response.status_code == 400


schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application()).include(
    path=URL
)


@pytest.fixture
def bearer(db, coordinator, project):
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield {"Authorization": f"Bearer {token_for(coordinator)}"}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.slow
@schema.parametrize()
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_the_search_endpoint_honours_its_schema(case, bearer):
    case.call_and_validate(headers=bearer, excluded_checks=[positive_data_acceptance])
