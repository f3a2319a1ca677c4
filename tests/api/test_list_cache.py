"""The API dataset list's pages cached under the catalogue version (issue 16): the very next
request after a committed write sees it, whatever wrote it; a hit answers the same bytes as a
miss; nobody is handed another caller's page. Writes commit (`transaction=True`), as in
production."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.core.models import AccessTier
from apps.datasets.models import Dataset
from apps.organisations.models import Affiliation
from apps.projects.models import Membership
from tests.api.conftest import client_for
from tests.datasets.factories import DatasetFactory, DatasetFileFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("postgres_and_redis"),
]

URL = "/api/v1/datasets/"


@pytest.fixture
def consortium_dataset(project):
    return DatasetFactory(
        project=project, title="RESPIRE sputum cohort", access_tier=AccessTier.CONSORTIUM
    )


def _get(client, url=URL) -> tuple[bytes, bool]:
    """The body, and whether the request read the datasets table."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    read = any('FROM "datasets_dataset"' in q["sql"] for q in captured.captured_queries)
    return response.content, read


def _titles(body: bytes) -> list[str]:
    return [row["title"] for row in json.loads(body)["results"]]


def test_a_hit_reads_no_dataset_and_answers_the_same_bytes(partner_member, consortium_dataset):
    client = client_for(partner_member)
    miss, read = _get(client)
    assert read
    hit, read = _get(client)
    assert not read and hit == miss
    assert _titles(hit) == [consortium_dataset.title]


def test_a_queryset_update_is_seen_by_the_next_request(partner_member, consortium_dataset):
    client = client_for(partner_member)
    _get(client)
    Dataset.objects.filter(pk=consortium_dataset.pk).update(title="Renamed by update()")
    body, read = _get(client)
    assert read and _titles(body) == ["Renamed by update()"]


def test_raw_sql_is_seen_by_the_next_request(partner_member, consortium_dataset):
    client = client_for(partner_member)
    _get(client)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE datasets_dataset SET title = %s WHERE id = %s",
            ["Renamed by SQL", consortium_dataset.pk],
        )
    assert _titles(_get(client)[0]) == ["Renamed by SQL"]


def test_losing_access_is_seen_by_the_next_request(partner_member, consortium_dataset):
    client = client_for(partner_member)
    assert _titles(_get(client)[0]) == [consortium_dataset.title]
    Membership.objects.filter(user=partner_member).update(ended_at=timezone.now())
    Affiliation.objects.filter(user=partner_member).update(ended_at=timezone.now())
    assert _titles(_get(client)[0]) == []


def test_nobody_is_handed_another_callers_page(partner_member, outsider, consortium_dataset):
    member, stranger = client_for(partner_member), client_for(outsider)
    _get(member)
    assert _titles(_get(member)[0]) == [consortium_dataset.title]
    assert _titles(_get(stranger)[0]) == []
    assert _titles(_get(stranger)[0]) == []


def test_each_query_has_its_own_page(partner_member, project, consortium_dataset):
    DatasetFactory(project=project, title="Another cohort")
    client = client_for(partner_member)
    assert len(_titles(_get(client)[0])) == 2
    assert len(_titles(_get(client, f"{URL}?page_size=1")[0])) == 1
    assert len(_titles(_get(client)[0])) == 2


def test_a_new_file_is_seen_by_the_next_request(partner_member, consortium_dataset):
    client = client_for(partner_member)
    assert json.loads(_get(client)[0])["results"][0]["files"] == []
    DatasetFileFactory(dataset=consortium_dataset, file_name="sputum.csv", content=b"id\n1\n")
    files = json.loads(_get(client)[0])["results"][0]["files"]
    assert [f["file_name"] for f in files] == ["sputum.csv"]


def test_a_client_asking_for_indentation_gets_the_cached_page_indented(
    partner_member, consortium_dataset
):
    """Compact pages are cached as their bytes; a client that asks for indentation gets the
    same page, indented, whether or not the compact bytes are cached."""
    client = client_for(partner_member)
    compact, _ = _get(client)
    indented = client.get(URL, HTTP_ACCEPT="application/json; indent=2")
    assert indented.status_code == 200
    assert indented.content != compact and b'\n  "' in indented.content
    assert json.loads(indented.content) == json.loads(compact)
    again, read = _get(client)
    assert again == compact and not read


def test_pages_after_the_first_are_read_afresh_and_not_stored(partner_member, project):
    for number in range(3):
        DatasetFactory(project=project, title=f"Cohort {number}")
    client = client_for(partner_member)
    first, read = _get(client, f"{URL}?page_size=1")
    assert read
    second_page = json.loads(first)["next"]
    for _ in range(2):  # a full sync asks each such page once: nothing is kept for it
        body, read = _get(client, second_page)
        assert read and len(_titles(body)) == 1
    again, read = _get(client, f"{URL}?page_size=1")
    assert not read and again == first
