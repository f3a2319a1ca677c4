"""The pages of a full sync from a statement compiled once per person and standing
(apps.api.compiled_pages): the same pages as the ordinary path, for each person; any change to
a person's access — a write of any kind, or the clock passing a grant's end — is seen by the
very next page; nothing built from a database read or the clock is kept."""

import datetime
import json

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from apps.accounts.models import ApiToken
from apps.api import compiled_pages
from apps.api.tokens import api_token_create
from apps.core.models import AccessTier
from apps.datasets.models import Dataset
from apps.organisations.models import Affiliation
from apps.projects.models import SummaryVisibility
from tests.access.factories import AccessGrantFactory, ControlledDatasetFactory
from tests.api.conftest import client_for
from tests.datasets.factories import DatasetFactory, DatasetFileFactory
from tests.projects.factories import ProjectFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("postgres_and_redis")]

URL = "/api/v1/datasets/?page_size=2"


@pytest.fixture(autouse=True)
def _no_kept_statements():
    compiled_pages.forget()
    yield
    compiled_pages.forget()


@pytest.fixture
def compiles(monkeypatch) -> list:
    """Each statement compiled, as (reusable,)."""
    seen: list = []
    real = compiled_pages._compile

    def spy(*args, **kwargs):
        statement, reusable = real(*args, **kwargs)
        seen.append(reusable)
        return statement, reusable

    monkeypatch.setattr(compiled_pages, "_compile", spy)
    return seen


@pytest.fixture
def datasets(project):
    """Datasets of every tier in two projects (one the member is not in), with two files."""
    made = []
    for owner in (project, ProjectFactory(title="Another consortium")):
        for tier in (AccessTier.PUBLIC, AccessTier.REGISTERED, AccessTier.CONSORTIUM):
            dataset = DatasetFactory(project=owner, access_tier=tier, title=f"{owner.slug} {tier}")
            DatasetFileFactory(dataset=dataset)
            DatasetFileFactory(dataset=dataset)
            made.append(dataset)
    return made


def _walk(client, url: str = URL) -> list[dict]:
    """Every row of every page, following `next` links."""
    rows = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = json.loads(response.content)
        rows += body["results"]
        url = body["next"]
    return rows


def _ordinary_walk(client) -> list[dict]:
    """The same walk the ordinary way: any parameter but page_size and cursor (here one the
    filters ignore) keeps the statement from being compiled once."""
    return _walk(client, URL + "&ordinary=1")


def test_each_person_walks_the_pages_the_ordinary_path_gives(
    partner_member, outsider, staff, datasets, compiles
):
    for person in (partner_member, outsider, staff):
        client = client_for(person)
        kept = _walk(client)
        assert kept == _ordinary_walk(client)
        assert kept, "every persona here sees some dataset"
    assert compiles and all(compiles)
    members = {row["title"] for row in _walk(client_for(partner_member))}
    outsiders = {row["title"] for row in _walk(client_for(outsider))}
    assert outsiders < members  # the consortium tier stays with the consortium


def test_the_statement_is_compiled_once_for_the_first_page_and_once_for_the_rest(
    partner_member, datasets, compiles
):
    client = client_for(partner_member)
    rows = _walk(client)
    assert len(rows) > 4, "more than two pages"
    assert compiles == [True, True]
    # The pages are cached too, so walk with another page size's statements once more.
    assert _walk(client, "/api/v1/datasets/?page_size=3") == rows
    assert compiles == [True, True, True, True]


def test_a_queryset_update_ending_the_affiliation_is_seen_by_the_next_page(
    partner_member, datasets, compiles
):
    client = client_for(partner_member)
    before = {row["title"] for row in _walk(client)}
    Affiliation.objects.filter(user=partner_member).update(ended_at=timezone.now())
    after = {row["title"] for row in _walk(client)}
    own = datasets[:3]  # the member's project's
    consortium = {row.title for row in own if row.access_tier == AccessTier.CONSORTIUM}
    assert consortium <= before and not consortium & after
    assert after == {row["title"] for row in _ordinary_walk(client)}


@pytest.mark.django_db(transaction=True)  # the catalogue version moves at commit
def test_raw_sql_changing_a_dataset_is_seen_because_only_the_statement_is_kept(
    partner_member, datasets
):
    client = client_for(partner_member)
    _walk(client)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE datasets_dataset SET access_tier = %s WHERE id = %s",
            [AccessTier.CONSORTIUM, datasets[0].pk],
        )
    changed = next(row for row in _walk(client) if row["id"] == str(datasets[0].pk))
    assert changed["access_tier"] == AccessTier.CONSORTIUM


def test_a_grant_past_its_valid_until_stops_at_the_next_page_with_no_sweep(
    outsider, project, other_org, compiles
):
    project.summary_visibility = SummaryVisibility.MEMBERS
    project.save(update_fields=["summary_visibility"])
    dataset = ControlledDatasetFactory(project=project)
    ends = timezone.now() + datetime.timedelta(hours=1)
    AccessGrantFactory(
        request__dataset=dataset,
        request__requester=outsider,
        request__organisation=other_org,
        valid_until=ends,
    )
    client = client_for(outsider)
    assert str(dataset.pk) in {row["id"] for row in _walk(client)}
    with time_machine.travel(ends + datetime.timedelta(seconds=1), tick=False):
        assert str(dataset.pk) not in {row["id"] for row in _walk(client)}
        assert str(dataset.pk) not in {row["id"] for row in _ordinary_walk(client)}


def test_a_bad_cursor_is_refused_as_the_ordinary_path_refuses_it(partner_member, datasets):
    client = client_for(partner_member)
    for cursor in ("bm90LWEtY3Vyc29y", "bnwyMDI2LTAxLTAxVDAwOjAwOjAwKzAwOjAwfG5vdC1hLXV1aWQ"):
        kept = client.get(f"{URL}&cursor={cursor}")
        ordinary = client.get(f"{URL}&cursor={cursor}&ordinary=1")
        assert kept.status_code == ordinary.status_code == 400
        assert json.loads(kept.content)["errors"] == json.loads(ordinary.content)["errors"]


def test_a_statement_built_from_a_database_read_or_the_clock_is_used_once_only():
    def _compiled(build):
        return compiled_pages._compile(build, "updated_at", True, True, 10, connection)

    plain = Dataset.objects.system("test").values_list("title")
    assert _compiled(lambda: plain)[1] is True

    def reads_while_building():
        Dataset.objects.system("test").exists()
        return plain

    assert _compiled(reads_while_building)[1] is False
    clock = Dataset.objects.system("test").filter(created_at__lt=timezone.now())
    assert _compiled(lambda: clock.values_list("title"))[1] is False


def test_a_kept_statement_converts_its_columns_as_django_does(partner_member):
    """The compiler is not kept (its query tree is large); the converters it found are."""
    api_token_create(user=partner_member, name="LIMS", scopes=["read", "write"])
    tokens = ApiToken.objects.filter(user=partner_member).values_list("name", "scopes", named=True)
    statement, reusable = compiled_pages._compile(
        lambda: tokens, "created_at", True, True, 10, connection
    )
    assert reusable and statement.converters  # JSON arrives as text and is decoded
    rows = statement.rows(connection, datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC), None)
    assert rows == list(tokens.order_by("created_at", "id"))
    assert rows[0].scopes == ["read", "write"]
