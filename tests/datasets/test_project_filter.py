"""The dataset list's project filter: a text field with type-ahead suggestions (not a
10,000-option select), the `?project=<uuid>` links, and that neither reveals a project the
person may not see."""

import uuid

import pytest
from django.urls import reverse

from apps.core.models import AccessTier
from apps.organisations.models import OrganisationKind
from apps.projects.models import PartnerRole, ProjectStatus
from tests.datasets.factories import DatasetFactory
from tests.organisations.factories import AffiliationFactory, OrganisationFactory
from tests.projects.factories import PartnerFactory, ProjectFactory
from tests.typeahead import assert_shows_chosen_filter

LIST_URL = reverse("datasets:list")
SUGGEST_URL = reverse("datasets:project_suggestions")


def titles(response):
    return sorted(dataset.title for dataset in response.context["page_obj"])


def suggested(client, text: str) -> list[str]:
    response = client.get(SUGGEST_URL, {"project_name": text})
    assert response.status_code == 200
    body = response.content.decode()
    return [part.split('"', 1)[0] for part in body.split('<option value="')[1:]]


@pytest.fixture
def secret_project(db, other_org):
    """A project of the outsider's organisation, with a consortium-only dataset."""
    project = ProjectFactory(title="Tumour profiling", acronym="TUMOURX")
    PartnerFactory(project=project, organisation=other_org, role=PartnerRole.LEAD)
    DatasetFactory(project=project, title="Tumour biopsies", access_tier=AccessTier.CONSORTIUM)
    return project


@pytest.fixture
def pharma_stranger(db):
    """Works for a pharma company that is in no consortium here."""
    organisation = OrganisationFactory(name="Bigpharma", kind=OrganisationKind.PHARMA)
    return AffiliationFactory(organisation=organisation).user


def test_the_list_offers_a_labelled_text_field_not_a_select_of_every_project(
    client, partner_member, consortium_dataset
):
    client.force_login(partner_member)
    body = client.get(LIST_URL).content.decode()
    assert '<label class="form-label" for="filter-project">Project</label>' in body
    assert 'id="filter-project" name="project_name"' in body
    assert f'hx-get="{SUGGEST_URL}"' in body
    assert '<datalist id="filter-project-suggestions"></datalist>' in body
    assert 'id="filter-project" name="project"' not in body  # no <select> of projects


def test_project_text_matches_acronym_or_title_ignoring_case(
    client, partner_member, project, consortium_dataset, secret_project, outsider
):
    client.force_login(partner_member)
    assert titles(client.get(LIST_URL, {"project_name": "respi"})) == [consortium_dataset.title]
    assert titles(client.get(LIST_URL, {"project_name": "STRATIFICATION"})) == [
        consortium_dataset.title
    ]
    assert titles(client.get(LIST_URL, {"project_name": "no such project"})) == []


def test_project_text_never_matches_datasets_the_person_may_not_see(
    client, partner_member, consortium_dataset, secret_project
):
    client.force_login(partner_member)
    assert titles(client.get(LIST_URL, {"project_name": "tumour"})) == []


def test_suggestions_offer_only_projects_with_a_dataset_the_person_may_see(
    client, partner_member, outsider, pharma_stranger, consortium_dataset, secret_project
):
    open_project = ProjectFactory(title="Open respiratory data", acronym="OPENRESP")
    DatasetFactory(project=open_project, title="Open spirometry", access_tier=AccessTier.PUBLIC)
    client.force_login(partner_member)  # consortium member of RESPIRE
    assert suggested(client, "r") == []  # one letter is not enough to suggest
    assert suggested(client, "re") == ["RESPIRE", "OPENRESP"]  # acronyms starting with it first
    assert suggested(client, "tumour") == []
    client.force_login(outsider)  # in TUMOURX's consortium, not RESPIRE's
    assert suggested(client, "re") == ["OPENRESP"]
    assert suggested(client, "tumour") == ["TUMOURX"]
    client.force_login(pharma_stranger)
    assert suggested(client, "re") == ["OPENRESP"]
    assert suggested(client, "tumour") == []
    client.logout()
    assert suggested(client, "re") == ["OPENRESP"]


def test_a_suggestion_carries_the_project_id_and_title(client, partner_member, project):
    DatasetFactory(project=project, title="Sputum <cells>", access_tier=AccessTier.CONSORTIUM)
    client.force_login(partner_member)
    body = client.get(SUGGEST_URL, {"project_name": "resp"}).content.decode()
    assert body.strip() == (
        f'<option value="RESPIRE" data-choice="{project.pk}">Respiratory stratification</option>'
    )


def test_suggestions_are_private_to_the_person(client, partner_member, consortium_dataset):
    client.force_login(partner_member)
    response = client.get(SUGGEST_URL, {"project_name": "resp"})
    assert "private" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]


def test_suggestions_for_empty_text_are_an_empty_list(client, partner_member):
    client.force_login(partner_member)
    response = client.get(SUGGEST_URL)
    assert response.status_code == 200
    assert response.content.decode().strip() == ""


def test_suggestions_refuse_overlong_text_with_400(client, partner_member):
    client.force_login(partner_member)
    assert client.get(SUGGEST_URL, {"project_name": "x" * 201}).status_code == 400


def test_suggestions_refuse_other_methods(client, partner_member):
    client.force_login(partner_member)
    assert client.post(SUGGEST_URL, {"project_name": "resp"}).status_code == 405


@pytest.fixture
def follow_up_dataset(partner_org):
    """A consortium dataset of a second project whose acronym contains "RESPIRE"."""
    other = ProjectFactory(acronym="RESPIRE2", title="Respiratory follow-up")
    PartnerFactory(project=other, organisation=partner_org)
    return DatasetFactory(project=other, title="Follow-up", access_tier=AccessTier.CONSORTIUM)


def test_a_project_link_filters_by_that_project_and_shows_how_to_remove_it(
    client, partner_member, project, consortium_dataset, follow_up_dataset
):
    client.force_login(partner_member)
    response = client.get(LIST_URL, {"project": str(project.pk), "tier": "consortium"})
    assert titles(response) == [consortium_dataset.title]  # not RESPIRE2's, though "RESPIRE" in it
    assert_shows_chosen_filter(
        response.content.decode(),
        label="RESPIRE",
        name="project",
        value=project.pk,
        text_name="project_name",
        remove="?tier=consortium",
    )


def test_the_submitted_form_keeps_the_chosen_project_while_its_text_is_unchanged(
    client, partner_member, project, consortium_dataset, follow_up_dataset
):
    client.force_login(partner_member)
    chosen = {"project": str(project.pk)}
    assert titles(client.get(LIST_URL, {**chosen, "project_name": "respire"})) == [
        consortium_dataset.title
    ]
    # Text typed over the choice replaces it; empty text removes the project filter.
    assert titles(client.get(LIST_URL, {**chosen, "project_name": "follow"})) == ["Follow-up"]
    assert len(titles(client.get(LIST_URL, {**chosen, "project_name": ""}))) == 2


@pytest.mark.parametrize("kind", ["unknown", "invisible", "malformed"])
def test_a_project_id_the_person_may_not_see_matches_nothing_and_reveals_nothing(
    client, partner_member, consortium_dataset, kind
):
    hidden = ProjectFactory(acronym="HIDDEN", title="Proposed", status=ProjectStatus.PROPOSED)
    DatasetFactory(project=hidden, title="Hidden data", access_tier=AccessTier.PUBLIC)
    value = {"unknown": str(uuid.uuid4()), "invisible": str(hidden.pk), "malformed": "x1"}[kind]
    client.force_login(partner_member)
    response = client.get(LIST_URL, {"project": value})
    assert response.status_code == 200
    assert titles(response) == []
    body = response.content.decode()
    assert "Nothing matches this project: it does not exist or you may not see it." in body
    assert "HIDDEN" not in body and "Proposed" not in body
    assert 'name="project" value=""' in body  # the refused id is not carried on


def test_the_project_datasets_page_ignores_the_list_filter_parameters(
    client, partner_member, project, consortium_dataset
):
    client.force_login(partner_member)
    url = reverse("datasets:project_list", kwargs={"project_pk": project.pk})
    response = client.get(url, {"project": str(uuid.uuid4()), "project_name": "zzz"})
    assert titles(response) == [consortium_dataset.title]
