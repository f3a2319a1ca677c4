import pytest
from django.db import connection

from apps.diseases.models import DiseaseArea
from apps.organisations.models import OrganisationKind
from apps.projects.models import PartnerRole, Project, ProjectStatus, SummaryVisibility
from tests.organisations.factories import OrganisationFactory
from tests.projects.factories import PartnerFactory, ProjectFactory
from tests.typeahead import assert_shows_chosen_filter

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


SUGGEST_URL = "/projects/suggest/organisations/"


def suggested(client, text: str) -> list[str]:
    response = client.get(SUGGEST_URL, {"organisation_name": text})
    assert response.status_code == 200
    body = response.content.decode()
    return [part.split('"', 1)[0] for part in body.split('<option value="')[1:]]


def test_the_partner_filter_is_a_labelled_text_field_not_a_select_of_every_organisation(
    client, project
):
    body = client.get(URL).content.decode()
    assert 'for="id_organisation_name">Partner organisation</label>' in body
    assert 'id="id_organisation_name" name="organisation_name"' in body
    assert f'hx-get="{SUGGEST_URL}"' in body
    assert '<select name="organisation"' not in body
    assert "<option" not in body.split('id="id_organisation_name"')[1].split("</datalist>")[0]


def test_partner_name_filter_matches_part_of_the_name_ignoring_case(
    client, project, secret_project
):
    assert titles(client.get(URL, {"organisation_name": "PHARMA"})) == ["RESPIRE"]
    assert titles(client.get(URL, {"organisation_name": "gnost"})) == ["SECRETX"]
    assert titles(client.get(URL, {"organisation_name": "nobody at all"})) == []


def test_partner_name_filter_does_not_reveal_partners_of_members_only_projects(
    client, secret_project, partner_org, login, outsider
):
    PartnerFactory(project=secret_project, organisation=partner_org)
    assert titles(client.get(URL, {"organisation_name": "university"})) == []
    assert titles(login(outsider).get(URL, {"organisation_name": "university"})) == ["SECRETX"]


def test_suggestions_offer_only_organisations_whose_partnership_the_person_may_see(
    client, secret_project, partner_org, outsider, unaffiliated, login
):
    PartnerFactory(project=secret_project, organisation=partner_org)
    assert suggested(client, "diag") == ["Diagnostix"]  # the lead of SECRETX is public
    assert suggested(client, "univ") == []  # its partner is not
    assert suggested(login(unaffiliated), "univ") == []
    assert suggested(login(outsider), "univ") == ["University of Example"]  # an insider
    assert suggested(login(outsider), "u") == []  # one letter is not enough to suggest


def test_suggestions_put_names_starting_with_the_text_first(client, project, lead_org):
    other = ProjectFactory(acronym="ARMA")
    pharma_lab = OrganisationFactory(name="Armapharm Labs")
    PartnerFactory(project=other, organisation=pharma_lab, role=PartnerRole.LEAD)
    assert suggested(client, "pharm") == ["Pharmacorp", "Armapharm Labs"]


def test_a_suggestion_carries_the_organisation_slug(client, project, lead_org):
    body = client.get(SUGGEST_URL, {"organisation_name": "pharma"}).content.decode()
    assert body.strip() == f'<option value="Pharmacorp" data-choice="{lead_org.slug}"></option>'


def test_suggestions_are_private_and_refuse_bad_input(client, project):
    response = client.get(SUGGEST_URL, {"organisation_name": "pharma"})
    assert "private" in response["Cache-Control"]
    assert client.get(SUGGEST_URL, {"organisation_name": "x" * 201}).status_code == 400
    assert client.post(SUGGEST_URL, {"organisation_name": "pharma"}).status_code == 405


def test_a_partner_link_filters_by_that_organisation_and_shows_how_to_remove_it(
    client, project, secret_project, lead_org
):
    response = client.get(URL, {"organisation": lead_org.slug, "status": "active"})
    assert titles(response) == ["RESPIRE"]
    assert_shows_chosen_filter(
        response.content.decode(),
        label="Pharmacorp",
        name="organisation",
        value=lead_org.slug,
        text_name="organisation_name",
        remove="?status=active",
    )


def test_the_submitted_form_keeps_the_chosen_partner_while_its_text_is_unchanged(
    client, project, secret_project, lead_org
):
    chosen = {"organisation": lead_org.slug}
    assert titles(client.get(URL, {**chosen, "organisation_name": "pharmacorp"})) == ["RESPIRE"]
    assert titles(client.get(URL, {**chosen, "organisation_name": "diagnostix"})) == ["SECRETX"]
    assert len(titles(client.get(URL, {**chosen, "organisation_name": ""}))) == 2


def test_a_partner_the_person_may_not_filter_by_matches_nothing_and_reveals_nothing(
    client, secret_project, partner_org
):
    PartnerFactory(project=secret_project, organisation=partner_org)
    for slug in (partner_org.slug, "no-such-organisation"):
        response = client.get(URL, {"organisation": slug})
        assert response.status_code == 200
        assert titles(response) == []
        body = response.content.decode()
        assert "it does not exist or you may not see it" in body
        assert partner_org.name not in body


def test_an_overlong_partner_name_matches_nothing_and_says_why(client, project):
    response = client.get(URL, {"organisation_name": "x" * 201})
    assert response.status_code == 200
    assert titles(response) == []
    assert 'aria-invalid="true"' in response.content.decode()
