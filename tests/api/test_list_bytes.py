"""The API lists of the shared kinds answer, byte for byte, what DRF's standard path renders.

Issue #16 makes the list path fast (plain rows, JSON written directly, one Redis round trip):
its output must stay exactly today's. The reference here is built apart from the code under
test: the rows the policy lets the persona see (`visible`, or `can` per version), ordered as
the sync contract says (`updated_at`, `id`), represented by the declared fields of the output
serializers through `ModelSerializer.to_representation` (never the hand-built fast paths),
URLs from `reverse()`, and rendered by DRF's `JSONRenderer`. Every page is compared, its
`next` and `previous` links included, for the nine personas of the leak world — the six who
must learn nothing hidden, the two insiders, portal staff — by token and, for two of them, by
session."""

import base64
import datetime

import pytest
from django.db.models import Prefetch
from django.urls import reverse
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.utils.urls import replace_query_param

from apps.access.policy import Action, can, visible
from apps.analyses.api.serializers import AnalysisOutput
from apps.analyses.models import Analysis, AnalysisVersion
from apps.api.serializers.items import (
    DatasetFileOutput,
    DatasetOutput,
    ProtocolOutput,
    ProtocolVersionOutput,
)
from apps.core.kinds import shared_kinds
from apps.core.models import AccessTier
from apps.datasets.models import Dataset, DatasetFile
from apps.documents.models import Protocol, ProtocolVersion
from tests.access.leaks.conftest import PERSONAS, leak_world  # noqa: F401 - a fixture
from tests.analyses.factories import AnalysisFactory, AnalysisVersionFactory
from tests.api.conftest import client_for
from tests.datasets.factories import DatasetFactory, DatasetFileFactory
from tests.documents.factories import ProtocolFactory, ProtocolVersionFactory
from tests.organisations.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

NINE = (*PERSONAS, "insider", "respire_coordinator", "staff")
BY_SESSION = ("insider", "partner_without_grant")
# Text that JSON encoders treat differently: non-ASCII (kept as is), the line and paragraph
# separators (escaped by DRF for JavaScript), a quote, a backslash, a control character.
AWKWARD = 'Ünïcode — 🧬, a \u2028 line and a \u2029 paragraph separator, "quoted" \\ and \x07'


def _url(request, basename: str, pk) -> str:
    return request.build_absolute_uri(reverse(f"api:{basename}-detail", kwargs={"id": pk}))


class _Standard:
    """DRF's own field-by-field representation, with URLs from `reverse()`."""

    def to_representation(self, instance):
        return serializers.ModelSerializer.to_representation(self, instance)

    def get_url(self, obj) -> str:
        return _url(self.context["request"], self.api_basename, obj.pk)

    def get_download_url(self, obj) -> str:
        return self.get_url(obj) + "download/"


class StandardFile(_Standard, DatasetFileOutput):
    pass


class StandardDataset(_Standard, DatasetOutput):
    files = StandardFile(many=True, read_only=True)

    def get_allowed_organisations(self, obj):
        return [organisation.pk for organisation in obj.allowed_organisations.all()]


class StandardVersion(_Standard, ProtocolVersionOutput):
    pass


class StandardProtocol(_Standard, ProtocolOutput):
    def get_allowed_organisations(self, obj):
        return [organisation.pk for organisation in obj.allowed_organisations.all()]

    def get_versions(self, obj):
        shown = [v for v in obj.versions.all() if v.pk in self.context["visible_version_ids"]]
        return StandardVersion(shown, many=True, context=self.context).data


class StandardAnalysis(_Standard, AnalysisOutput):
    def get_allowed_organisations(self, obj):
        return [organisation.pk for organisation in obj.allowed_organisations.all()]


def _datasets(user, request):
    rows = Dataset.objects.prefetch_related(
        "allowed_organisations",
        Prefetch("files", queryset=DatasetFile.objects.order_by("file_name", "id")),
    )
    rows = _visible_in_sync_order(user, rows)
    context = {
        "request": request,
        "downloadable_ids": {d.pk for d in rows if can(user, Action.DOWNLOAD, d)},
    }
    return [StandardDataset(context=context).to_representation(d) for d in rows], rows


def _protocols(user, request):
    rows = Protocol.objects.prefetch_related(
        "allowed_organisations",
        Prefetch("versions", queryset=ProtocolVersion.objects.order_by("-number")),
    )
    rows = _visible_in_sync_order(user, rows)
    versions = [v for p in rows for v in p.versions.all()]
    context = {
        "request": request,
        "visible_version_ids": {v.pk for v in versions if can(user, Action.VIEW, v)},
    }
    return [StandardProtocol(context=context).to_representation(p) for p in rows], rows


def _analyses(user, request):
    rows = _visible_in_sync_order(user, Analysis.objects.prefetch_related("allowed_organisations"))
    shown = {}
    for analysis in rows:
        versions = AnalysisVersion.objects.filter(analysis=analysis).order_by("-number")
        shown[analysis.pk] = [v.pk for v in versions if can(user, Action.VIEW, v)]
    context = {"request": request, "visible_versions": shown}
    return [StandardAnalysis(context=context).to_representation(a) for a in rows], rows


STANDARD = {"dataset": _datasets, "protocol": _protocols, "analysis": _analyses}


def _visible_in_sync_order(user, queryset) -> list:
    return list(visible(user, queryset).order_by("updated_at", "id"))


def _cursor(obj, *, forward: bool) -> str:
    raw = f"{'n' if forward else 'p'}|{obj.updated_at.isoformat()}|{obj.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _standard_pages(user, kind: str, path: str, size: int) -> list[tuple[str, bytes]]:
    """[(the URL of each page, its expected body)], walking forward from the first page."""
    first_url = f"http://testserver{path}?page_size={size}"
    request = Request(APIRequestFactory().get(first_url))
    results, rows = STANDARD[kind](user, request)
    pages, url = [], first_url
    for start in range(0, max(len(rows), 1), size):
        chunk = slice(start, start + size)
        more = start + size < len(rows)
        next_url = replace_query_param(first_url, "cursor", _cursor(rows[chunk][-1], forward=True))
        previous = None
        if start:
            previous = replace_query_param(first_url, "cursor", _cursor(rows[start], forward=False))
        body = {"next": next_url if more else None, "previous": previous, "results": results[chunk]}
        pages.append((url, JSONRenderer().render(body)))
        url = next_url
    return pages


@pytest.fixture
def world(leak_world, project, lead_org, partner_org, staff):  # noqa: F811 - the fixture
    """The leak world, plus rows that test the encoding: awkward text, named organisations,
    several files, microseconds PostgreSQL writes short, and versions in several states."""
    named = [OrganisationFactory(name="Zeta labs"), partner_org, OrganisationFactory(name="Äcme")]
    awkward = DatasetFactory(
        project=project,
        steward_organisation=lead_org,
        title=f"Awkward {AWKWARD}",
        description=AWKWARD,
        access_tier=AccessTier.ORGANISATIONS,
        allowed_organisations=named,
    )
    for name in ("b.csv", "a.csv", "ä.csv"):
        DatasetFileFactory(dataset=awkward, file_name=name)
    DatasetFileFactory(dataset=leak_world.hush_dataset, file_name="hush.csv")
    short = datetime.datetime(2026, 7, 1, 9, 30, 15, 120000, tzinfo=datetime.UTC)
    Dataset.objects.filter(pk=leak_world.evidence_dataset.pk).update(
        updated_at=short, published_at=short.replace(microsecond=0)
    )
    for tier in (AccessTier.PUBLIC, AccessTier.REGISTERED, AccessTier.CONSORTIUM):
        DatasetFactory(project=project, steward_organisation=lead_org, access_tier=tier)
        protocol = ProtocolFactory(project=project, access_tier=tier, description=AWKWARD)
        ProtocolVersionFactory(protocol=protocol, status=ProtocolVersion.Status.APPROVED)
        ProtocolVersionFactory(protocol=protocol, status=ProtocolVersion.Status.DRAFT)
        analysis = AnalysisFactory(project=project, access_tier=tier, title=f"Analysis {tier}")
        AnalysisVersionFactory(analysis=analysis)
        AnalysisVersionFactory(analysis=analysis)
    hidden = ProtocolFactory(project=leak_world.hush, access_tier=AccessTier.ORGANISATIONS)
    hidden.allowed_organisations.set(named)
    AnalysisFactory(
        project=leak_world.hush, access_tier=AccessTier.ORGANISATIONS, allowed_organisations=named
    )
    leak_world.personas["staff"] = staff
    return leak_world


def _person(world, name: str):
    return world.personas.get(name) or getattr(world, name)


def _clients(world, name: str) -> list[APIClient]:
    user = _person(world, name)
    if not user.is_authenticated:
        return [APIClient()]
    clients = [client_for(user, scopes=("read",))]
    if name in BY_SESSION:
        session = APIClient()
        session.force_login(user)
        clients.append(session)
    return clients


@pytest.mark.parametrize("persona", NINE)
def test_api_lists_of_the_shared_kinds_are_what_drf_renders(world, persona):
    user = _person(world, persona)
    kinds = {kind.name: f"/api/v1/{kind.item.api_prefix}/" for kind in shared_kinds()}
    assert set(kinds) == set(STANDARD), "a new shared kind needs its standard representation"
    for client in _clients(world, persona):
        for kind, path in kinds.items():
            for size in (2, 50):
                for url, expected in _standard_pages(user, kind, path, size):
                    response = client.get(url)
                    assert response.status_code == 200, (url, response.content[:300])
                    assert response["Content-Type"] == "application/json"
                    assert response.content == expected, (persona, url)


def test_the_comparison_is_not_void(world):
    """The insiders see what the outsiders do not, and the awkward text is on some page."""
    seen = {
        name: {
            row.pk for row in _visible_in_sync_order(_person(world, name), Dataset.objects.all())
        }
        for name in NINE
    }
    assert world.hush_dataset.pk in seen["insider"]
    assert world.hush_dataset.pk not in seen["anonymous"]
    assert len(seen["respire_coordinator"]) > 2 and seen["anonymous"]
    body = client_for(world.respire_coordinator).get("/api/v1/datasets/").content
    assert b"\\u2028" in body and "Ünïcode".encode() in body
