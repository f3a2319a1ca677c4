"""Issue #15, channels 1–4, per persona: catalogue search, partner filters (HTML and API),
organisation profiles, deliverable evidence. Each persona sees no canary, no hidden partner
and no count that includes a hidden row; the control persona sees every one."""

import pytest
from django.urls import reverse

from tests.access.leaks.conftest import (
    CANARY_CONTROLLED,
    CANARY_DATASET,
    CANARY_DRAFT,
    CANARY_EVIDENCE_DATASET,
    CANARY_EVIDENCE_DRAFT,
    CANARY_EVIDENCE_PROTOCOL,
    CANARY_SUMMARY,
    HUSH_ACRONYM,
    PERSONAS,
    as_persona,
    assert_canary,
    assert_no_canary,
)

pytestmark = pytest.mark.django_db
CATALOGUE = "/projects/"
API_PROJECTS = "/api/v1/projects/"


def listed(response) -> list[str]:
    return [project.acronym for project in response.context["page_obj"]]


def api_acronyms(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["acronym"] for row in response.json()["results"]]


# --- 1. Catalogue search ------------------------------------------------------------------------
@pytest.mark.parametrize("persona", PERSONAS)
def test_catalogue_search_finds_and_counts_no_project_by_words_of_a_hidden_summary(
    leak_world, persona
):
    response = as_persona(leak_world, persona).get(CATALOGUE, {"q": CANARY_SUMMARY})
    assert listed(response) == []
    assert response.context["page_obj"].paginator.count == 0
    body = response.content.decode()
    assert "0 projects matching" in body
    assert_no_canary(body, HUSH_ACRONYM)  # the query itself is echoed back, so not the word


@pytest.mark.parametrize("persona", PERSONAS)
def test_catalogue_search_still_finds_a_members_only_project_by_its_public_card(
    leak_world, persona
):
    response = as_persona(leak_world, persona).get(CATALOGUE, {"q": "hushed stratification"})
    assert listed(response) == [HUSH_ACRONYM]
    assert_no_canary(response.content.decode(), CANARY_SUMMARY)


def test_the_consortium_finds_its_project_by_a_summary_word(leak_world):
    response = as_persona(leak_world, "insider").get(CATALOGUE, {"q": CANARY_SUMMARY})
    assert listed(response) == [HUSH_ACRONYM]
    assert "1 project matching" in response.content.decode()


# --- 2. Filters by partner organisation -------------------------------------------------------
@pytest.mark.parametrize("persona", PERSONAS)
def test_api_organisation_filter_matches_no_hidden_partnership(leak_world, persona):
    client = as_persona(leak_world, persona)
    for organisation in leak_world.hidden_partner_orgs:
        found = api_acronyms(client.get(API_PROJECTS, {"organisation": str(organisation.pk)}))
        assert HUSH_ACRONYM not in found, organisation.name
    # The lead is on the public card: the filter by it is no probe of anything hidden.
    lead = api_acronyms(
        client.get(API_PROJECTS, {"organisation": str(leak_world.hush_lead_org.pk)})
    )
    assert lead == [HUSH_ACRONYM]


@pytest.mark.parametrize("persona", PERSONAS)
def test_catalogue_partner_filter_matches_and_offers_no_hidden_partnership(leak_world, persona):
    client = as_persona(leak_world, persona)
    for organisation in leak_world.hidden_partner_orgs:
        response = client.get(CATALOGUE, {"organisation": organisation.slug})
        assert HUSH_ACRONYM not in listed(response), organisation.name
        by_name = client.get(CATALOGUE, {"organisation_name": organisation.name})
        assert HUSH_ACRONYM not in listed(by_name), organisation.name
        offered = response.context["form"].fields["organisation"].queryset
        assert organisation not in offered
    suggestions = client.get("/projects/suggest/organisations/", {"organisation_name": "Quiet"})
    assert_no_canary(suggestions.content.decode(), "Quietpartner")


def test_the_consortium_filters_by_every_partner_in_the_catalogue_and_the_api(leak_world):
    client = as_persona(leak_world, "insider")
    quiet = leak_world.quiet_org
    assert api_acronyms(client.get(API_PROJECTS, {"organisation": str(quiet.pk)})) == [HUSH_ACRONYM]
    assert listed(client.get(CATALOGUE, {"organisation": quiet.slug})) == [HUSH_ACRONYM]


# --- 3. Organisation profiles ----------------------------------------------------------------
@pytest.mark.parametrize("persona", PERSONAS)
def test_organisation_profile_lists_no_hidden_partnership(leak_world, persona):
    client = as_persona(leak_world, persona)
    profile = reverse("organisations:profile", args=[leak_world.quiet_org.slug])
    response = client.get(profile)
    assert response.status_code == 200
    assert_no_canary(response.content.decode(), HUSH_ACRONYM)
    assert list(response.context["projects"]) == []
    # The lead's profile names HUSH, as its public card does.
    lead = client.get(reverse("organisations:profile", args=[leak_world.hush_lead_org.slug]))
    assert HUSH_ACRONYM in lead.content.decode()
    api = client.get(f"/api/v1/organisations/{leak_world.quiet_org.pk}/")
    assert api.status_code == 200
    assert_no_canary(api.content.decode(), HUSH_ACRONYM)


def test_the_consortium_sees_the_partnership_on_the_profile(leak_world):
    profile = reverse("organisations:profile", args=[leak_world.quiet_org.slug])
    response = as_persona(leak_world, "insider").get(profile)
    assert_canary(response.content.decode(), HUSH_ACRONYM)


# --- 4. Deliverable pages --------------------------------------------------------------------
# Who may see which piece of evidence on RESPIRE's public deliverable.
EVIDENCE_HIDDEN = {
    "anonymous": (CANARY_EVIDENCE_DATASET, CANARY_EVIDENCE_DRAFT),
    "non_partner": (CANARY_EVIDENCE_DATASET, CANARY_EVIDENCE_DRAFT),
    "partner_without_grant": (CANARY_EVIDENCE_DRAFT,),  # the consortium tier is theirs
    "suspended_member": (CANARY_EVIDENCE_DATASET, CANARY_EVIDENCE_DRAFT),
    "expired_grantee": (CANARY_EVIDENCE_DATASET, CANARY_EVIDENCE_DRAFT),
    "ended_observer": (CANARY_EVIDENCE_DATASET, CANARY_EVIDENCE_DRAFT),
}


def _version_line(world) -> str:
    return f"version {world.draft_version.number}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_deliverable_page_and_api_list_only_evidence_the_person_may_see(leak_world, persona):
    client = as_persona(leak_world, persona)
    deliverable = leak_world.deliverable
    page = client.get(reverse("milestones:deliverable", args=[deliverable.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert_no_canary(body, *EVIDENCE_HIDDEN[persona], CANARY_EVIDENCE_PROTOCOL)
    api = client.get(f"/api/v1/deliverables/{deliverable.pk}/")
    assert api.status_code == 200
    listed_ids = {str(pk) for pk in api.json()["datasets"] + api.json()["protocol_versions"]}
    page_ids = {str(d.pk) for d in page.context["datasets"]} | {
        str(v.pk) for v in page.context["protocol_versions"]
    }
    assert listed_ids == page_ids  # one selector serves both
    assert str(leak_world.evidence_draft.pk) not in listed_ids
    assert str(leak_world.draft_version.pk) not in listed_ids


def test_the_project_editor_sees_all_evidence_of_the_deliverable(leak_world):
    client = as_persona(leak_world, "respire_coordinator")
    page = client.get(reverse("milestones:deliverable", args=[leak_world.deliverable.pk]))
    body = page.content.decode()
    assert_canary(body, CANARY_EVIDENCE_DATASET, CANARY_EVIDENCE_DRAFT, CANARY_EVIDENCE_PROTOCOL)
    assert _version_line(leak_world) in body


# --- HUSH's own lists stay closed to every persona (the canaries' home) ----------------------
@pytest.mark.parametrize("persona", PERSONAS)
def test_no_persona_finds_a_hush_dataset_in_the_dataset_list_or_api(leak_world, persona):
    client = as_persona(leak_world, persona)
    canaries = (CANARY_DATASET, CANARY_CONTROLLED, CANARY_DRAFT, CANARY_SUMMARY)
    # "quokka" begins every HUSH canary; the echoed query is not itself one.
    assert_no_canary(client.get("/datasets/", {"q": "quokka"}).content.decode(), *canaries)
    api = client.get("/api/v1/datasets/", {"search": "quokka"})
    assert api.status_code == 200
    assert api.json()["results"] == []


def test_the_consortium_finds_hush_datasets(leak_world):
    client = as_persona(leak_world, "insider")
    body = client.get("/datasets/", {"q": "quokka"}).content.decode()
    assert_canary(body, CANARY_DATASET, CANARY_CONTROLLED, CANARY_DRAFT)
