"""What one search finds, as people type it: stemming, prefixes, typos, synonyms and codes."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection

from apps.search.selectors import EXACT, search, suggest

pytestmark = pytest.mark.django_db


def found(user, text, **kwargs):
    return [(result.kind, str(result.id)) for result in search(user, text, **kwargs).results]


def ids(user, text):
    return {str(result.id) for result in search(user, text).results}


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="typo tolerance is PostgreSQL's pg_trgm; SQLite (make run) matches words and prefixes",
)
def test_a_typo_finds_asthma(search_world):
    found_ids = ids(AnonymousUser(), "astma")
    assert str(search_world.respire.pk) in found_ids
    assert str(search_world.dataset.pk) in found_ids


def test_a_word_finds_the_biomarker_by_its_name(search_world, coordinator):
    assert str(search_world.eosinophil.pk) in ids(AnonymousUser(), "eosinophil")


def test_a_half_typed_word_already_matches(search_world):
    assert str(search_world.eosinophil.pk) in ids(AnonymousUser(), "eosin")


def test_an_english_plural_finds_the_singular(search_world):
    assert str(search_world.dataset.pk) in ids(AnonymousUser(), "transcriptomic")


def test_feno_finds_the_companion_diagnostic(search_world):
    results = search(AnonymousUser(), "FeNO").results
    assert (results[0].kind, results[0].id) == ("biomarker", search_world.feno.pk)


def test_an_icd10_code_finds_the_projects_filed_under_it(search_world):
    results = search(AnonymousUser(), "J45").results
    assert results[0].id == search_world.respire.pk
    assert results[0].why == "Exact match"


def test_a_disease_synonym_from_the_icd10_titles(search_world):
    # J44's WHO title: "Other chronic obstructive pulmonary disease"; J45's: "Asthma".
    assert str(search_world.respire.pk) in ids(AnonymousUser(), "Asthma")


def test_a_deliverable_code_comes_first(search_world):
    results = search(AnonymousUser(), "D2.1").results
    assert (results[0].kind, results[0].id) == ("deliverable", search_world.deliverable.pk)


def test_a_ror_id_finds_its_organisation(search_world):
    for text in (search_world.ror_org.ror_id, f"https://ror.org/{search_world.ror_org.ror_id}"):
        results = search(AnonymousUser(), text).results
        assert (results[0].kind, results[0].id) == ("organisation", search_world.ror_org.pk)


def test_an_organisations_name_finds_it(search_world):
    results = search(AnonymousUser(), "Oxbridge Respiratory").results
    assert ("organisation", search_world.ror_org.pk) in [(r.kind, r.id) for r in results]


def test_the_result_says_kind_project_tier_and_why(search_world):
    result = next(r for r in search(AnonymousUser(), "eosinophil").results if r.kind == "biomarker")
    assert result.kind_label == "Biomarker or companion diagnostic"
    assert result.project_acronym == "RESPIRE"
    assert result.tier_label == "Public"
    assert "<mark>" in result.snippet


def test_milestones_are_found_by_the_consortium_only(search_world, coordinator, outsider):
    assert str(search_world.milestone.pk) in ids(coordinator, "recruited")
    assert str(search_world.milestone.pk) not in ids(outsider, "recruited")
    assert str(search_world.milestone.pk) not in ids(AnonymousUser(), "recruited")


def test_people_who_share_a_project_are_found(search_world, coordinator, outsider):
    assert str(search_world.colleague.pk) in ids(coordinator, "Brightwater")
    assert str(search_world.colleague.pk) not in ids(outsider, "Brightwater")
    assert str(search_world.colleague.pk) not in ids(AnonymousUser(), "Brightwater")


def test_a_members_only_summary_is_searched_by_members_only(search_world, coordinator):
    quiet = str(search_world.quiet.pk)
    assert quiet in ids(search_world.quiet_member, "zebrafinch")
    assert quiet not in ids(coordinator, "zebrafinch")
    assert quiet not in ids(AnonymousUser(), "zebrafinch")
    # Its public card is found by everyone.
    assert quiet in ids(AnonymousUser(), "Quiet airway")


def test_the_hidden_items_are_found_by_their_members_only(search_world):
    member = ids(search_world.quiet_member, "zebrafinch")
    assert str(search_world.quiet_dataset.pk) in member
    assert str(search_world.quiet_dataset.pk) not in ids(AnonymousUser(), "zebrafinch")


def test_exact_matches_rank_first_then_the_rest(search_world):
    results = search(AnonymousUser(), "RESPIRE").results
    assert results[0].id == search_world.respire.pk
    assert results[0].why == "Exact match"
    assert EXACT == 2


def test_a_new_item_is_findable_at_once(search_world):
    from apps.core.models import AccessTier
    from tests.datasets.factories import DatasetFactory

    new = DatasetFactory(
        project=search_world.respire,
        title="Nasal brushings okapiword",
        access_tier=AccessTier.PUBLIC,
    )
    assert str(new.pk) in ids(AnonymousUser(), "okapiword")
    new.title = "Nasal brushings renamed"
    new.save()
    assert str(new.pk) not in ids(AnonymousUser(), "okapiword")
    assert str(new.pk) in ids(AnonymousUser(), "renamed")


def test_paging_neither_skips_nor_repeats(search_world, coordinator):
    everything = found(coordinator, "respiratory OR asthma") or found(coordinator, "a")
    seen, cursor = [], None
    from apps.search.selectors import Cursor

    while True:
        page = search(coordinator, "asthma", size=1, cursor=cursor, with_facets=False)
        seen.extend((r.kind, str(r.id)) for r in page.results)
        if not page.next_cursor:
            break
        cursor = Cursor.decode(page.next_cursor)
    assert seen == found(coordinator, "asthma")
    assert len(seen) == len(set(seen)) >= 3
    assert everything is not None


def test_suggestions_wait_for_two_characters(search_world):
    assert suggest(AnonymousUser(), "e") == []
    assert suggest(AnonymousUser(), "eo")
