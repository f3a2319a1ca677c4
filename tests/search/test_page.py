"""The search page, the header box's suggestions, and the statements they cost."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.models import AccessTier
from apps.search.selectors import search
from apps.search.snippets import from_headline, highlight_text
from tests.datasets.factories import DatasetFactory
from tests.milestones.factories import MilestoneFactory
from tests.projects.factories import BiomarkerFactory

pytestmark = pytest.mark.django_db


def statements(user, text) -> int:
    with CaptureQueriesContext(connection) as captured:
        search(user, text)
    return len(captured.captured_queries)


def test_the_number_of_statements_does_not_grow_with_the_results(search_world, coordinator):
    statements(coordinator, "asthma")  # the person's access facts are read once, then cached
    before = statements(coordinator, "asthma")
    for n in range(6):
        DatasetFactory(
            project=search_world.respire,
            title=f"Asthma follow-up {n}",
            access_tier=AccessTier.PUBLIC,
        )
        BiomarkerFactory(project=search_world.respire, name=f"Asthma marker {n}")
        MilestoneFactory(project=search_world.respire, title=f"Asthma visit {n} done")
    assert search(coordinator, "asthma").total > 15
    assert statements(coordinator, "asthma") == before


def test_the_page_lists_results_with_kind_project_tier_and_facets(client, search_world):
    response = client.get("/search/", {"q": "eosinophil"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Blood <mark>eosinophil</mark> count" not in body  # the title is plain text…
    assert "Blood eosinophil count" in body
    assert "<mark>Eosinophil" in body or "<mark>eosinophil" in body  # …the snippet marked
    assert "Biomarker or companion diagnostic" in body
    assert "RESPIRE" in body
    assert "Narrow the results" in body


def test_a_facet_link_narrows_and_can_be_removed(client, search_world):
    body = client.get("/search/", {"q": "asthma", "kind": "dataset"}).content.decode()
    assert "Sputum transcriptomics of severe asthma" in body
    assert "Respiratory stratification" not in body
    assert "Remove<span" in body


def test_bad_parameters_are_explained(client, search_world):
    response = client.get("/search/", {"q": "asthma", "year": "1700"})
    assert response.status_code == 400
    assert "greater than or equal to 1900" in response.content.decode()


def test_suggestions_are_options_of_a_listbox(client, search_world):
    body = client.get("/search/suggest/", {"q": "eosin"}).content.decode()
    assert 'role="option"' in body
    assert "Blood eosinophil count" in body
    assert 'data-href="/projects/respire/#section-biomarkers' in body
    assert client.get("/search/suggest/", {"q": "e"}).content.decode().strip() == ""


def test_the_header_has_the_search_combobox(client, search_world):
    body = client.get("/").content.decode()
    assert 'role="combobox"' in body
    assert 'aria-controls="site-search-listbox"' in body
    assert 'hx-get="/search/suggest/"' in body


def test_stored_markup_is_escaped_in_snippets():
    html = str(highlight_text('<script>alert("x")</script> asthma cohort', ["asthma"]))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<mark>asthma</mark>" in html
    assert str(from_headline("\ue000<b>x</b>\ue001")) == "<mark>&lt;b&gt;x&lt;/b&gt;</mark>"


def test_markup_in_a_title_reaches_the_page_escaped(client, search_world):
    DatasetFactory(
        project=search_world.respire,
        title="<img src=x onerror=alert(1)> asthma",
        description="<b>bold</b> asthma",
        access_tier=AccessTier.PUBLIC,
    )
    body = client.get("/search/", {"q": "asthma"}).content.decode()
    assert "<img src=x" not in body
    assert "<b>bold</b>" not in body


def test_nothing_typed_searches_nothing(search_world):
    assert search(AnonymousUser(), "  !!  ").results == []
