"""The hand-built dataset and file representations say exactly what DRF's declared fields say.

`DatasetOutput` and `DatasetFileOutput` build their dicts directly (a full sync renders
hundreds of rows a page), and the dataset list builds them from plain rows (`apps.api.rows`:
ids and timestamps as text, no model instances); the declared fields stay the schema and,
here, the reference. The comparison is on the rendered JSON text, so key order, value types
and time zones count."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from apps.access.policy import Action, can
from apps.api.serializers.common import api_url
from apps.api.serializers.items import DatasetFileOutput, DatasetOutput
from apps.api.views.items import DatasetViewSet
from apps.core.models import AccessTier
from apps.datasets.models import Dataset, DatasetStatus
from tests.api.conftest import client_for
from tests.datasets.factories import DatasetFactory, DatasetFileFactory
from tests.organisations.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

SUMMER = datetime.datetime(2026, 7, 1, 9, 30, 15, 123456, tzinfo=datetime.UTC)


def _json(data) -> bytes:
    return JSONRenderer().render(data)


def _context():
    request = Request(APIRequestFactory().get("/api/v1/datasets/", HTTP_HOST="partner.example"))
    return {"request": request, "downloadable_ids": set()}


def _reference(serializer_class, obj, context) -> dict:
    """What DRF's generic field-by-field path renders for `obj`."""
    return serializers.ModelSerializer.to_representation(serializer_class(context=context), obj)


@pytest.fixture
def datasets(project):
    named = DatasetFactory(
        project=project,
        access_tier=AccessTier.ORGANISATIONS,
        allowed_organisations=[OrganisationFactory(name="B org"), OrganisationFactory(name="A")],
        description="Ünïcode — and \u2028 a line separator",
    )
    DatasetFileFactory(dataset=named, file_name="b.csv")
    DatasetFileFactory(dataset=named, file_name="a.csv")
    draft = DatasetFactory(project=project, status=DatasetStatus.DRAFT, published_at=None)
    Dataset.objects.filter(pk=draft.pk).update(created_at=SUMMER, updated_at=SUMMER)
    return [named, draft]


@pytest.mark.parametrize("zone", [None, "America/New_York", "Asia/Kolkata"])
def test_dataset_and_file_output_match_the_declared_fields(datasets, zone):
    if zone:
        timezone.activate(zoneinfo.ZoneInfo(zone))
    try:
        context = _context()
        rows = list(DatasetViewSet().base_queryset().filter(pk__in=[d.pk for d in datasets]))
        context["downloadable_ids"] = {rows[0].pk}
        for dataset in rows:
            fast = DatasetOutput(context=context).to_representation(dataset)
            assert _json(fast) == _json(_reference(DatasetOutput, dataset, context))
            for file in dataset.files.all():
                fast_file = DatasetFileOutput(context=context).to_representation(file)
                assert _json(fast_file) == _json(_reference(DatasetFileOutput, file, context))
    finally:
        timezone.deactivate()


@pytest.fixture
def listed(datasets, project):
    """The two datasets above plus one the partner may download, with timestamps whose
    microseconds PostgreSQL writes short (".12") or leaves out, in both summer and winter."""
    downloadable = DatasetFactory(project=project, access_tier=AccessTier.CONSORTIUM)
    DatasetFileFactory(dataset=downloadable, file_name="only.csv")
    winter = datetime.datetime(2026, 1, 15, 23, 59, 59, tzinfo=datetime.UTC)
    Dataset.objects.filter(pk=downloadable.pk).update(
        created_at=winter, updated_at=winter, published_at=SUMMER.replace(microsecond=120000)
    )
    downloadable.files.update(created_at=winter, updated_at=SUMMER.replace(microsecond=0))
    return [*datasets, downloadable]


@pytest.mark.parametrize("zone", ["Europe/London", "UTC", "America/New_York", "Asia/Kolkata"])
def test_the_list_page_from_rows_is_what_the_declared_fields_render(
    listed, partner_member, settings, zone
):
    """The whole page body, byte for byte: the rows path against DRF's generic serializer of
    the same datasets (prefetched instances), in the portal's time zone."""
    settings.TIME_ZONE = zone
    body = client_for(partner_member).get("/api/v1/datasets/?page_size=200").content

    request = Request(APIRequestFactory().get("/api/v1/datasets/"))
    rows = DatasetViewSet().base_queryset().filter(pk__in=[d.pk for d in listed])
    rows = list(rows.order_by("updated_at", "id"))
    context = {
        "request": request,
        "downloadable_ids": {d.pk for d in rows if can(partner_member, Action.DOWNLOAD, d)},
    }
    assert 0 < len(context["downloadable_ids"]) < len(rows), "the page should show both answers"
    results = [_reference(DatasetOutput, dataset, context) for dataset in rows]
    assert body == _json({"next": None, "previous": None, "results": results})


def test_the_fast_output_reads_the_prefetched_lists_and_falls_back_to_the_relations(datasets):
    """The list view prefetches into lists; a bare instance (after a write) still renders the
    same, from the relations themselves."""
    context = _context()
    named = datasets[0]
    prefetched = DatasetViewSet().base_queryset().get(pk=named.pk)
    bare = Dataset.objects.get(pk=named.pk)
    assert _json(DatasetOutput(context=context).to_representation(prefetched)) == _json(
        DatasetOutput(context=context).to_representation(bare)
    )
    files = DatasetOutput(context=context).to_representation(prefetched)["files"]
    assert [row["file_name"] for row in files] == ["a.csv", "b.csv"]
    allowed = DatasetOutput(context=context).to_representation(prefetched)["allowed_organisations"]
    assert [str(pk) for pk in allowed] == [
        str(o.pk) for o in named.allowed_organisations.order_by("name")
    ]


def test_api_urls_are_what_reverse_gives(datasets):
    """One `reverse()` per kind, then string building: the same absolute URL, also for an
    integer key (audit events) and without a request (a path)."""
    from django.urls import reverse

    context = _context()
    request = context["request"]
    pk = datasets[0].pk
    assert api_url(context, "dataset", pk) == request.build_absolute_uri(
        reverse("api:dataset-detail", kwargs={"id": pk})
    )
    assert api_url(context, "audit-event", 42) == request.build_absolute_uri(
        reverse("api:audit-event-detail", kwargs={"id": 42})
    )
    assert api_url({}, "dataset-file", pk) == reverse("api:dataset-file-detail", kwargs={"id": pk})
