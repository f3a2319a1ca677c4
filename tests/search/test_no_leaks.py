"""Search leaks nothing (issue 19, acceptance 2): canary words in hidden fields of members-only
projects, draft datasets, restricted deliverables, consortium milestones and analyses (issue
22: a title, and text hidden in a description, of analyses the personas may not see) reach
no result, snippet, suggestion or facet count for any persona of the trust issue, and an
entitled person finds each (so no probe is void). The leak world is the one of tests/access/leaks."""

import json
import re

import pytest

from apps.core.models import AccessTier
from apps.milestones.models import Deliverable
from apps.search.selectors import search
from tests.access.leaks.conftest import (  # noqa: F401 - leak_world is a fixture
    CANARY_CONTROLLED,
    CANARY_DATASET,
    CANARY_DRAFT,
    CANARY_EVIDENCE_DATASET,
    CANARY_EVIDENCE_DRAFT,
    CANARY_SUMMARY,
    HIDDEN_PARTNERS,
    HUSH_ACRONYM,
    PERSONAS,
    as_persona,
    assert_canary,
    assert_no_canary,
    leak_world,
)
from tests.analyses.factories import AnalysisFactory
from tests.milestones.factories import DeliverableFactory, MilestoneFactory

pytestmark = pytest.mark.django_db

CANARY_RESTRICTED = "quokkarestricted"  # a restricted deliverable of RESPIRE (members only)
CANARY_MILESTONE = "quokkamilestone"  # a HUSH milestone (the consortium only)
CANARY_ANALYSIS = "quokkaanalysis"  # title of HUSH's consortium-tier analysis
CANARY_ANALYSIS_TEXT = "quokkanotebook"  # description of HUSH's named-organisations analysis
CANARY_RESPIRE_ANALYSIS = "wombatanalysis"  # description of RESPIRE's consortium analysis
HUSH_CANARIES = (
    CANARY_SUMMARY,
    CANARY_DATASET,
    CANARY_CONTROLLED,
    CANARY_DRAFT,
    CANARY_MILESTONE,
    CANARY_ANALYSIS,
    CANARY_ANALYSIS_TEXT,
)
RESPIRE_CANARIES = (CANARY_EVIDENCE_DRAFT, CANARY_RESTRICTED)
# RESPIRE's consortium-tier rows are the consortium's: its partner's colleague sees them.
RESPIRE_CONSORTIUM_CANARIES = (CANARY_EVIDENCE_DATASET, CANARY_RESPIRE_ANALYSIS)


@pytest.fixture
def world(leak_world):  # noqa: F811 - the imported fixture
    leak_world.restricted = DeliverableFactory(
        project=leak_world.respire,
        code="D9.9",
        title="Partner negotiation notes",
        summary=f"Restricted: {CANARY_RESTRICTED} terms.",
        dissemination=Deliverable.Dissemination.RESTRICTED,
        status=Deliverable.Status.APPROVED,
    )
    leak_world.milestone = MilestoneFactory(
        project=leak_world.hush, title=f"{CANARY_MILESTONE} cohort locked"
    )
    leak_world.hush_analysis = AnalysisFactory(
        project=leak_world.hush,
        title=f"{CANARY_ANALYSIS} stratification model",
        description="Derived on the locked cohort.",
        access_tier=AccessTier.CONSORTIUM,
    )
    leak_world.hush_named_analysis = AnalysisFactory(
        project=leak_world.hush,
        title="Cohort cut-off notebook",
        description=f"Restricted terms: {CANARY_ANALYSIS_TEXT} thresholds.",
        access_tier=AccessTier.ORGANISATIONS,
        allowed_organisations=[leak_world.hush_lead_org],
    )
    leak_world.respire_analysis = AnalysisFactory(
        project=leak_world.respire,
        title="Cohort exacerbation model",
        description=f"Consortium terms: {CANARY_RESPIRE_ANALYSIS} weights.",
        access_tier=AccessTier.CONSORTIUM,
    )
    # A public analysis with the same words, which everyone finds: the probes reach analyses.
    leak_world.public_analysis = AnalysisFactory(
        project=leak_world.respire,
        title="Cohort exacerbation summary",
        description="Public terms of the locked cohort.",
        access_tier=AccessTier.PUBLIC,
    )
    return leak_world


def hidden_from(persona: str) -> tuple[str, ...]:
    consortium = () if persona == "partner_without_grant" else RESPIRE_CONSORTIUM_CANARIES
    return HUSH_CANARIES + RESPIRE_CANARIES + consortium


def bodies(client, text: str) -> str:
    """Everything the three channels answer for `text` (use for words that are no canary)."""
    return "\n".join(
        [
            client.get("/search/", {"q": text}).content.decode(),
            client.get("/search/suggest/", {"q": text}).content.decode(),
            client.get("/api/v1/search/", {"q": text}).content.decode(),
        ]
    )


def answers(client, text: str) -> str:
    """What the channels answer for `text`, without the places that echo `text` back (the
    search box, the heading, the "see all results" suggestion, the API's `next` link)."""
    page = client.get("/search/", {"q": text}).content.decode()
    parts = re.findall(r"<ol class=\"list-unstyled search-results\">.*?</ol>", page, re.S)
    # The facets, without their links (which carry the query on).
    parts += [
        re.sub(r'href="[^"]*"', "", aside) for aside in re.findall(r"<aside.*?</aside>", page, re.S)
    ]
    suggestions = client.get("/search/suggest/", {"q": text}).content.decode()
    parts += [
        option for option in suggestions.split("<li") if "site-search-option-all" not in option
    ]
    api = client.get("/api/v1/search/", {"q": text}).json()
    parts.append(json.dumps({"results": api["results"], "facets": api["facets"]}))
    return "\n".join(parts)


def hidden_rows(world, persona: str) -> set[str]:
    rows = [
        world.hush_dataset,
        world.hush_controlled,
        world.hush_draft,
        world.evidence_draft,
        world.restricted,
        world.milestone,
        world.hush_analysis,
        world.hush_named_analysis,
    ]
    if persona != "partner_without_grant":
        rows.append(world.respire_analysis)
    return {str(row.pk) for row in rows}


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_canary_reaches_a_result_snippet_suggestion_or_facet(world, persona):
    client = as_persona(world, persona)
    for canary in hidden_from(persona):
        assert_no_canary(answers(client, canary), *hidden_from(persona))
    # Words beside the canaries, which do match visible rows, bring none of them along.
    for text in ("cohort", "terms", "Confidential plans", "locked", "Restricted"):
        assert_no_canary(bodies(client, text), *hidden_from(persona))


@pytest.mark.parametrize("persona", PERSONAS)
def test_hidden_rows_are_never_found_nor_counted(world, persona):
    user = world.personas[persona]
    for text in ("cohort", "terms", *hidden_from(persona)):
        page = search(user, text, size=100)
        assert not {str(result.id) for result in page.results} & hidden_rows(world, persona), text
        # Every count is of listed rows only: nothing hidden adds to a total or a facet.
        assert page.total == len(page.results), f"{text}: a hidden row was counted"
        for name in ("kind", "tier"):
            assert sum(value.count for value in page.facets.get(name, [])) == page.total, name


@pytest.mark.parametrize("persona", PERSONAS)
def test_hushs_card_is_found_without_its_hidden_partners(world, persona):
    body = bodies(as_persona(world, persona), HUSH_ACRONYM)
    assert HUSH_ACRONYM in body  # the card is public: the probe hit HUSH
    assert_no_canary(body, *HIDDEN_PARTNERS, *hidden_from(persona))


def test_the_insider_finds_every_hush_canary(world):
    client = as_persona(world, "insider")
    for canary in HUSH_CANARIES:
        assert_canary(answers(client, canary), canary)
        assert search(world.insider, canary).total >= 1


def test_respires_coordinator_finds_every_respire_canary(world):
    client = as_persona(world, "respire_coordinator")
    for canary in (*RESPIRE_CANARIES, *RESPIRE_CONSORTIUM_CANARIES):
        assert_canary(answers(client, canary), canary)


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_public_analysis_is_found_and_counted_beside_the_hidden_ones(world, persona):
    page = search(world.personas[persona], "cohort", size=100)
    assert str(world.public_analysis.pk) in {str(result.id) for result in page.results}
    analyses = {value.value: value.count for value in page.facets["kind"]}.get("analysis")
    expected = 2 if persona == "partner_without_grant" else 1  # RESPIRE's consortium one too
    assert analyses == expected
