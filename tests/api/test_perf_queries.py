"""A full sync costs the same statements on every page, and the download decision rides in
the one statement that lists (and filters) the datasets."""

import pytest
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper
from django.test.utils import CaptureQueriesContext

from apps.access.policy import Action, annotate_allowed, can, visible
from apps.access.policy.items import dataset_download_among_visible_q
from apps.api.views.base import allowed_column
from apps.api.views.items import DatasetViewSet
from apps.core.models import AccessTier
from apps.datasets.models import Dataset
from tests.access.test_policy_matrix import ROLES, world  # noqa: F401 (fixture)
from tests.api.conftest import client_for
from tests.api.test_perf_policy import _without_clock
from tests.datasets.factories import DatasetFactory, DatasetFileFactory

pytestmark = pytest.mark.django_db


def _dataset_statements(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].startswith("SELECT") and 'FROM "datasets_dataset"' in q["sql"]
    ]


def test_every_page_of_a_full_sync_costs_the_same_statements(partner_member, project, lead_org):
    for index in range(9):
        dataset = DatasetFactory(project=project, access_tier=AccessTier.CONSORTIUM)
        for _ in range(index % 3 + 1):
            DatasetFileFactory(dataset=dataset)
    client = client_for(partner_member)
    client.get("/api/v1/datasets/")  # the token's first use writes its last-use time
    url, counts, seen = "/api/v1/datasets/?page_size=4", [], []
    while url:
        with CaptureQueriesContext(connection) as queries:
            body = client.get(url).json()
        counts.append(len(queries))
        # One statement lists the page, filters it by the policy and says what may be
        # downloaded; the others fetch the page's files and named organisations.
        assert len(_dataset_statements(queries)) == 1
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 9
    # The pages after the first are not cached (each is asked once per walk), so they do not
    # read the catalogue version the first page's entry is keyed on.
    first, *rest = counts
    assert len(rest) == 2 and len(set(rest)) == 1 and first == rest[0] + 1, counts


def test_the_download_flag_of_a_listed_row_is_what_can_answers(world):  # noqa: F811
    """`annotate_allowed` is the download rule itself: for every persona and dataset it agrees
    with `can()` (a staff member sees everything and downloads nothing by being staff)."""
    users, datasets = world
    for role in ROLES:
        user = users[role]
        rows = annotate_allowed(user, visible(user, Dataset.objects.all()), Action.DOWNLOAD, "may")
        flags = {row.pk: row.may for row in rows}
        assert set(flags) == {d.pk for d in datasets.values() if can(user, Action.VIEW, d)}
        for pk, flag in flags.items():
            assert bool(flag) is can(user, Action.DOWNLOAD, Dataset.objects.get(pk=pk)), (role, pk)


def test_the_keyset_walks_rows_sharing_a_timestamp_once_each_way(partner_member, project):
    """The cursor's added `updated_at >= …` bound (for the index) keeps the pair order: rows
    with one timestamp are neither skipped nor repeated, forwards or back."""
    datasets = [DatasetFactory(project=project) for _ in range(7)]
    moment = datasets[0].updated_at
    Dataset.objects.filter(pk__in=[d.pk for d in datasets[2:6]]).update(updated_at=moment)
    expected = [
        str(pk)
        for pk in Dataset.objects.filter(pk__in=[d.pk for d in datasets])
        .order_by("updated_at", "id")
        .values_list("pk", flat=True)
    ]
    client = client_for(partner_member)
    url, forward, pages = "/api/v1/datasets/?page_size=2", [], []
    while url:
        body = client.get(url).json()
        pages.append(body)
        forward += [row["id"] for row in body["results"]]
        url = body["next"]
    assert forward == expected
    backward, url = [], pages[-1]["previous"]
    while url:
        body = client.get(url).json()
        backward = [row["id"] for row in body["results"]] + backward
        url = body["previous"]
    assert backward + [row["id"] for row in pages[-1]["results"]] == expected


def test_the_listing_statement_is_the_same_when_its_rules_share_subqueries(partner_member, rf):
    """The view builds the visibility filter and the download column with the user's
    subqueries shared (one build for both rules); the SQL is what building them apart gives."""
    view = DatasetViewSet()
    view.request = rf.get("/api/v1/datasets/")
    view.request.user = partner_member
    download = ExpressionWrapper(
        dataset_download_among_visible_q(partner_member), output_field=BooleanField()
    )
    apart = visible(partner_member, view.base_queryset()).annotate(
        **{allowed_column(Action.DOWNLOAD): download}
    )
    assert _without_clock(str(view.get_queryset().query)) == _without_clock(str(apart.query))
