"""The public directory: search, filters, sorting, pagination and a constant query count."""

import pytest
from django.urls import reverse
from django.utils.text import slugify

from apps.organisations.models import Organisation, OrganisationKind, OrganisationStatus
from tests.organisations.factories import OrganisationFactory

pytestmark = pytest.mark.django_db
URL = reverse("organisations:directory")


@pytest.fixture
def world(db):
    OrganisationFactory(name="Alpha University", kind=OrganisationKind.UNIVERSITY, country="GB")
    OrganisationFactory(name="Beta Pharma", kind=OrganisationKind.PHARMA, country="DE")
    OrganisationFactory(name="Gamma Diagnostics", kind=OrganisationKind.DIAGNOSTICS, country="FR")
    OrganisationFactory(name="Pending Place", status=OrganisationStatus.PENDING)
    OrganisationFactory(name="Suspended Centre", status=OrganisationStatus.SUSPENDED)


def _names(response):
    return [organisation.name for organisation in response.context["page_obj"]]


def test_visitors_see_approved_organisations_only(client, world):
    response = client.get(URL)
    assert response.status_code == 200
    assert _names(response) == ["Alpha University", "Beta Pharma", "Gamma Diagnostics"]


def test_search_by_name_ignores_case(client, world):
    assert _names(client.get(URL, {"q": "PHARMA"})) == ["Beta Pharma"]


def test_filter_by_kind_and_country(client, world):
    assert _names(client.get(URL, {"kind": "diagnostics"})) == ["Gamma Diagnostics"]
    assert _names(client.get(URL, {"country": "DE"})) == ["Beta Pharma"]
    assert _names(client.get(URL, {"country": "DE", "kind": "university"})) == []


def test_the_country_filter_offers_only_countries_in_use(client, world):
    codes = [country.code for country in client.get(URL).context["countries"]]
    assert codes == ["FR", "DE", "GB"]  # by name: France, Germany, United Kingdom


def test_sorting_by_country_descending(client, world):
    assert _names(client.get(URL, {"sort": "-country"})) == [
        "Alpha University",
        "Gamma Diagnostics",
        "Beta Pharma",
    ]


def test_an_unknown_sort_or_kind_falls_back_without_error(client, world):
    response = client.get(URL, {"sort": "password", "kind": "nonsense", "page": "x"})
    assert response.status_code == 200
    assert _names(response)[0] == "Alpha University"


def test_an_empty_result_says_what_to_do(client, world):
    response = client.get(URL, {"q": "zzz"})
    assert b"No organisation matches your search." in response.content


@pytest.fixture
def many_organisations(db):
    Organisation.objects.bulk_create(
        Organisation(
            name=f"Organisation {n:05d}",
            slug=slugify(f"Organisation {n:05d}"),
            kind=OrganisationKind.values[n % len(OrganisationKind.values)],
            country=["GB", "DE", "FR", "NL", "US"][n % 5],
            status=OrganisationStatus.APPROVED,
        )
        for n in range(5000)
    )


@pytest.mark.parametrize(
    "params", [{}, {"page": "150"}, {"q": "Organisation 04", "kind": "pharma"}, {"sort": "-kind"}]
)
def test_the_directory_answers_5000_organisations_in_constant_queries(
    client, many_organisations, partner_member, django_assert_max_num_queries, params
):
    client.force_login(partner_member)
    client.get(URL)  # warm the session and per-process caches
    with django_assert_max_num_queries(12):
        response = client.get(URL, params)
    assert response.status_code == 200
    assert len(response.context["page_obj"].object_list) <= 25


def test_paginates_by_25(client, many_organisations):
    response = client.get(URL, {"page": 2})
    assert response.context["page_obj"].paginator.num_pages == 200
    assert _names(response)[0] == "Organisation 00025"
