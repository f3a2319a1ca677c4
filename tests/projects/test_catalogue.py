import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.diseases.models import DiseaseArea
from apps.organisations.models import OrganisationKind
from apps.projects.filter_cache import GENERATION_KEY
from apps.projects.models import PartnerRole, Project, ProjectStatus, SummaryVisibility
from tests.projects.factories import PartnerFactory, ProjectFactory

pytestmark = pytest.mark.django_db
URL = "/projects/"


def titles(response):
    return [project.acronym for project in response.context["page_obj"]]


@pytest.fixture
def secret_project(db, other_org):
    project = ProjectFactory(
        title="Tumour profiling",
        acronym="SECRETX",
        summary="Confidential summary text.",
        summary_visibility=SummaryVisibility.MEMBERS,
    )
    project.disease_areas.add(DiseaseArea.objects.get(slug="lung-cancer"))
    PartnerFactory(project=project, organisation=other_org, role=PartnerRole.LEAD)
    return project


def test_anonymous_visitor_sees_live_projects_but_not_proposed_ones(client, project):
    ProjectFactory(acronym="DRAFT", status=ProjectStatus.PROPOSED)
    response = client.get(URL)
    assert response.status_code == 200
    assert titles(response) == ["RESPIRE"]


def test_members_only_card_shows_no_summary_to_outsiders(client, secret_project, outsider, login):
    response = client.get(URL)
    body = response.content.decode()
    assert "SECRETX" in body and "Diagnostix" in body and "Lung cancer" in body
    assert "Confidential summary text" not in body
    response = login(outsider).get(URL)
    assert "Confidential summary text" in response.content.decode()  # outsider's org leads it


def test_disease_area_filter_includes_descendant_areas(client, project, secret_project):
    project.disease_areas.add(DiseaseArea.objects.get(slug="asthma"))
    response = client.get(URL, {"disease_area": "cancer"})
    assert titles(response) == ["SECRETX"]
    response = client.get(URL, {"disease_area": "respiratory-inflammatory-disease"})
    assert titles(response) == ["RESPIRE"]


def test_partner_filter_does_not_reveal_partners_of_members_only_projects(
    client, secret_project, partner_org, other_org, login, outsider
):
    PartnerFactory(project=secret_project, organisation=partner_org)
    assert titles(client.get(URL, {"organisation": partner_org.slug})) == []
    assert titles(client.get(URL, {"organisation": other_org.slug})) == ["SECRETX"]  # the lead
    assert titles(login(outsider).get(URL, {"organisation": partner_org.slug})) == ["SECRETX"]


def test_organisation_kind_and_status_filters(client, project, secret_project):
    ProjectFactory(acronym="DONE", status=ProjectStatus.COMPLETED)
    assert titles(client.get(URL, {"kind": OrganisationKind.PHARMA})) == ["RESPIRE"]
    assert titles(client.get(URL, {"kind": OrganisationKind.DIAGNOSTICS})) == ["SECRETX"]
    assert titles(client.get(URL, {"status": "completed"})) == ["DONE"]


def test_sorting_by_acronym_descending(client, project, secret_project):
    assert titles(client.get(URL, {"sort": "-acronym"})) == ["SECRETX", "RESPIRE"]


def test_invalid_sort_and_page_are_ignored_not_errors(client, project):
    response = client.get(URL, {"sort": "password", "page": "x"})
    assert response.status_code == 200
    assert titles(response) == ["RESPIRE"]


def test_unknown_disease_area_matches_nothing(client, project):
    response = client.get(URL, {"disease_area": "nope"})
    assert response.status_code == 200
    assert titles(response) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ranking needs PostgreSQL")
def test_search_ranks_title_matches_above_summary_and_disease_area_matches(client):
    by_area = ProjectFactory(acronym="AREA", title="Cohort study", summary="Follow-up data.")
    by_area.disease_area_names = "Asthma"
    by_area.save()
    ProjectFactory(acronym="SUMM", title="Airway cohort", summary="Adults with asthma.")
    ProjectFactory(acronym="TITL", title="Asthma endotypes", summary="Sputum analysis.")
    ProjectFactory(acronym="NONE", title="Psoriasis registry", summary="Skin.")
    response = client.get(URL, {"q": "asthma"})
    assert titles(response) == ["TITL", "SUMM", "AREA"]


def test_search_matches_acronyms(client, project):
    assert titles(client.get(URL, {"q": "RESPIRE"})) == ["RESPIRE"]


def test_catalogue_query_count_is_constant_with_ten_thousand_projects(
    client, django_assert_max_num_queries, lead_org
):
    area = DiseaseArea.objects.get(slug="asthma")
    projects = Project.objects.bulk_create(
        Project(
            title=f"Consortium {n}",
            acronym=f"BULK{n}",
            slug=f"bulk{n}",
            summary="Stratification of asthma.",
            status=ProjectStatus.ACTIVE,
            disease_area_names="Asthma",
        )
        for n in range(10_000)
    )
    Project.disease_areas.through.objects.bulk_create(
        Project.disease_areas.through(project_id=p.pk, diseasearea_id=area.pk) for p in projects
    )
    PartnerFactory._meta.model.objects.bulk_create(
        PartnerFactory.build(project=p, organisation=lead_org, role=PartnerRole.LEAD)
        for p in projects[:500]
    )
    for params in ({}, {"q": "asthma"}, {"disease_area": "respiratory-inflammatory-disease"}):
        with django_assert_max_num_queries(12):
            response = client.get(URL, {**params, "page": 3})
        assert response.status_code == 200
        assert len(response.context["page_obj"]) == 25
        assert response.context["page_obj"].paginator.count == 10_000


def test_partner_filter_offers_only_organisations_whose_partnership_is_public(
    client, secret_project, partner_org, other_org
):
    PartnerFactory(project=secret_project, organisation=partner_org)
    offered = client.get(URL).context["form"].fields["organisation"].queryset
    assert list(offered) == [other_org]  # the lead of the members-only project, not its partner


def offered_options(response) -> str:
    body = response.content.decode()
    start = body.index('name="organisation"')
    return body[start : body.index("</select>", start)]


def test_partner_filter_options_are_cached_and_a_new_partnership_shows_at_once(
    client, project, other_org
):
    first = CaptureQueriesContext(connection)
    with first:
        assert "Diagnostix" not in offered_options(client.get(URL))
    again = CaptureQueriesContext(connection)
    with again:
        client.get(URL)
    assert len(again) == len(first) - 1  # the organisations query is answered by the cache

    PartnerFactory(project=project, organisation=other_org)
    assert '<option value="diagnostix">Diagnostix</option>' in offered_options(client.get(URL))


def test_partner_filter_options_of_a_signed_in_person_are_never_shown_to_others(
    client, secret_project, partner_org, outsider, unaffiliated, login
):
    PartnerFactory(project=secret_project, organisation=partner_org)
    anonymous = offered_options(client.get(URL))
    insider = offered_options(login(outsider).get(URL))  # in the consortium of SECRETX
    stranger = offered_options(login(unaffiliated).get(URL))
    client.logout()
    assert partner_org.name in insider
    assert partner_org.name not in anonymous
    assert partner_org.name not in stranger
    assert partner_org.name not in offered_options(client.get(URL))


def test_the_chosen_partner_stays_selected_in_the_cached_options(client, project, lead_org):
    client.get(URL)  # fills the cache
    options = offered_options(client.get(URL, {"organisation": lead_org.slug}))
    assert f'<option value="{lead_org.slug}" selected>' in options
    assert options.count(" selected") == 1


def test_partner_filter_options_are_renewed_again_when_a_change_commits(
    project, other_org, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        PartnerFactory(project=project, organisation=other_org)
        at_write = cache.get(GENERATION_KEY)
    # Another process may have cached the pre-change options under `at_write` meanwhile.
    for callback in callbacks:
        callback()
    assert cache.get(GENERATION_KEY) not in (None, at_write)
