"""The signed-in dataset list's rows from a fragment keyed on the catalogue version (issue 16).

The database bumps the catalogue version as any write to a project's rows commits, whatever
wrote it; the viewer's standing is in the key too. These tests commit their writes
(`transaction=True`), as production does, and check that the very next request sees each
change, that nobody is handed another person's rows, and that the cache is never needed."""

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.access import facts as access_facts_module
from apps.core.models import AccessTier
from apps.datasets.models import Dataset, DatasetStatus
from apps.organisations.models import Affiliation
from apps.projects.models import Membership
from tests.access.test_access_facts import throwaway_redis  # noqa: F401  (a fixture)
from tests.datasets.factories import DatasetFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("postgres_and_redis"),
]

LIST_URL = reverse("datasets:list")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _get(client, params=None) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(LIST_URL, params or {})
    assert response.status_code == 200
    return response.content.decode(), [q["sql"] for q in captured.captured_queries]


def _reads_datasets(statements) -> bool:
    return any('FROM "datasets_dataset"' in sql for sql in statements)


def _served_from_cache(client, params=None) -> str:
    _get(client, params)
    html, statements = _get(client, params)
    assert not _reads_datasets(statements), "the second request should be a cache hit"
    return html


def test_the_second_request_reads_no_dataset(partner_member, consortium_dataset):
    assert consortium_dataset.title in _served_from_cache(_client(partner_member))


def test_each_query_string_has_its_own_rows(partner_member, project, consortium_dataset):
    DatasetFactory(project=project, title="Genotypes", access_tier=AccessTier.CONTROLLED)
    client = _client(partner_member)
    everything = _served_from_cache(client)
    controlled = _served_from_cache(client, {"tier": AccessTier.CONTROLLED})
    assert consortium_dataset.title in everything and "Genotypes" in everything
    assert consortium_dataset.title not in controlled and "Genotypes" in controlled


def test_a_queryset_update_is_seen_by_the_next_request(partner_member, consortium_dataset):
    client = _client(partner_member)
    _served_from_cache(client)
    Dataset.objects.filter(pk=consortium_dataset.pk).update(title="Renamed by update()")
    assert "Renamed by update()" in _get(client)[0]


def test_a_bulk_create_is_seen_by_the_next_request(partner_member, project, consortium_dataset):
    client = _client(partner_member)
    assert "Bulk cohort" not in _served_from_cache(client)
    Dataset.objects.bulk_create(
        [
            Dataset(
                project=project,
                title="Bulk cohort",
                steward_organisation=consortium_dataset.steward_organisation,
                access_tier=AccessTier.CONSORTIUM,
                status=DatasetStatus.PUBLISHED,
            )
        ]
    )
    html = _get(client)[0]
    assert "Bulk cohort" in html
    assert "Showing" not in html or "of 2" in html


def test_raw_sql_renaming_the_steward_is_seen_by_the_next_request(
    partner_member, consortium_dataset
):
    client = _client(partner_member)
    steward = consortium_dataset.steward_organisation
    assert steward.name in _served_from_cache(client)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE organisations_organisation SET name = %s WHERE id = %s",
            ["Renamed steward", steward.pk],
        )
    assert "Renamed steward" in _get(client)[0]


def test_losing_membership_is_seen_by_the_next_request(partner_member, consortium_dataset):
    client = _client(partner_member)
    assert consortium_dataset.title in _served_from_cache(client)
    Membership.objects.filter(user=partner_member).update(ended_at=timezone.now())
    Affiliation.objects.filter(user=partner_member).update(ended_at=timezone.now())
    assert consortium_dataset.title not in _get(client)[0]


def test_nobody_is_handed_another_persons_rows(partner_member, outsider, consortium_dataset):
    assert consortium_dataset.title in _served_from_cache(_client(partner_member))
    outsider_client = _client(outsider)
    assert consortium_dataset.title not in _get(outsider_client)[0]
    assert consortium_dataset.title not in _served_from_cache(outsider_client)


def test_a_transaction_that_wrote_a_project_is_served_its_own_writes(
    partner_member, consortium_dataset
):
    client = _client(partner_member)
    _served_from_cache(client)
    with transaction.atomic():
        Dataset.objects.filter(pk=consortium_dataset.pk).update(title="Not committed")
        html, statements = _get(client)
        assert "Not committed" in html and _reads_datasets(statements)
        transaction.set_rollback(True)
    html = _served_from_cache(client)  # nothing of the rolled-back write was stored
    assert "Not committed" not in html and consortium_dataset.title in html


def test_another_page_of_the_same_filters_reuses_the_count(partner_member, project):
    for number in range(30):
        DatasetFactory(project=project, title=f"Cohort {number:02d}")
    client = _client(partner_member)
    _get(client)  # page 1: counts and stores the count
    html, statements = _get(client, {"page": 2})
    dataset_statements = [sql for sql in statements if 'FROM "datasets_dataset"' in sql]
    assert len(dataset_statements) == 1 and "COUNT(" not in dataset_statements[0]
    assert "of 30" in html


def test_with_redis_stopped_the_list_answers_from_the_database(
    throwaway_redis,  # noqa: F811
    partner_member,
    consortium_dataset,
):
    client = _client(partner_member)
    assert consortium_dataset.title in _served_from_cache(client)
    throwaway_redis.kill()
    throwaway_redis.wait()
    access_facts_module.forget_local_memory()
    Dataset.objects.filter(pk=consortium_dataset.pk).update(title="Renamed while Redis is down")
    assert "Renamed while Redis is down" in _get(client)[0]
