"""The OpenAPI schema: it validates, its docs page loads local assets, and every path in it
answers as documented (a walk over the schema with a real project world)."""

import re
import uuid

import pytest
import yaml
from openapi_spec_validator import validate

from apps.core.kinds import shared_kinds
from apps.core.models import AccessTier
from apps.projects.models import MembershipRole, Partner
from tests.api.conftest import client_for
from tests.kinds import BUILDERS

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_the_schema_validates_as_openapi_3(schema):
    validate(schema)
    assert schema["openapi"].startswith("3.")


def test_the_yaml_schema_is_served_too(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert yaml.safe_load(response.content)["info"]["title"] == "Stratum API"


def test_every_operation_documents_its_problem_responses(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            for code in ("401", "429", "500"):
                assert code in responses, (method, path, code)
                assert "application/problem+json" in responses[code]["content"]
            if "{id}" in path:
                assert "404" in responses, (method, path)


def test_the_docs_page_loads_its_assets_from_this_site(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets
    for url in assets:
        assert url.startswith("/"), f"{url} is not served locally"
    for url in assets:
        if url.startswith("/static/"):
            assert client.get(url).status_code == 200, url


def _fill(path: str, ids: dict) -> str:
    """The path with real ids: `{id}` of its resource, `{partner_id}` and the like of the
    project's parts."""
    if "{id}" in path:
        path = path.replace("{id}", str(ids[path.split("/")[3]]))
    for name in re.findall(r"\{(\w+_id)\}", path):
        path = path.replace(f"{{{name}}}", str(ids[name]))
    return path.replace("{number}", "1")  # a multipart upload's part


@pytest.fixture
def world(coordinator, partner_member, project, lead_org):
    """One of each resource, visible to the coordinator."""
    from apps.audit.models import AuditEvent
    from apps.audit.services import audit_record
    from apps.notifications.models import Notification
    from tests.access.factories import AccessGrantFactory, AccessRequestFactory
    from tests.datasets.factories import DatasetFileFactory
    from tests.documents.factories import ProtocolVersionFactory
    from tests.projects.factories import DiseaseAreaFactory

    area = DiseaseAreaFactory()
    project.disease_areas.add(area)
    file = DatasetFileFactory(dataset__project=project)
    version = ProtocolVersionFactory(protocol__project=project)
    request = AccessRequestFactory(
        dataset=file.dataset, requester=coordinator, organisation=lead_org
    )
    grant = AccessGrantFactory(
        dataset=file.dataset, user=coordinator, organisation=lead_org, request=request
    )
    from apps.milestones.models import Milestone

    milestone = Milestone.objects.create(
        project=project, title="First patient in", due_date="2027-01-01"
    )
    from apps.milestones.models import Deliverable

    deliverable = Deliverable.objects.create(
        project=project, code="D1.1", title="Stratification report", due_month=12
    )
    notification = Notification.objects.create(
        recipient=coordinator, event_type="invitation", subject="Hi"
    )
    audit_record(actor=coordinator, action="test.event", target=project, project_id=project.pk)
    from apps.projects.models import Biomarker

    biomarker = Biomarker.objects.create(project=project, name="FeNO", kind="clinical", stratum="x")
    from apps.datasets.models import DatasetFileUpload

    # A finished resumable upload: reading it asks nothing of object storage (local here).
    file_upload = DatasetFileUpload.objects.create(
        dataset=file.dataset,
        created_by=coordinator,
        file_name="big.bam",
        size=1,
        sha256="0" * 64,
        part_size=5 * 1024**2,
        file_id=uuid.uuid4(),
        key=f"protected/datasets.datasetfile/{uuid.uuid4()}",
        upload_id="finished",
        status=DatasetFileUpload.Status.ABORTED,
    )
    ids = {
        "file-uploads": file_upload.pk,
        "partner_id": project.partners.get(organisation=lead_org).pk,
        "membership_id": project.memberships.get(user=coordinator).pk,
        "biomarker_id": biomarker.pk,
        "organisations": lead_org.pk,
        "disease-areas": area.pk,
        "projects": project.pk,
        "datasets": file.dataset.pk,
        "dataset-files": file.pk,
        "protocols": version.protocol.pk,
        "protocol-versions": version.pk,
        "milestones": milestone.pk,
        "deliverables": deliverable.pk,
        "access-requests": request.pk,
        "grants": grant.pk,
        "notifications": notification.pk,
        "audit-events": AuditEvent.objects.latest("id").pk,
    }
    # One of every other shared kind (`apps.core.kinds`), from its test builder.
    for kind in shared_kinds():
        if kind.item.api_prefix not in ids:
            item, stored = BUILDERS[kind.name](project, AccessTier.CONSORTIUM)
            ids[kind.item.api_prefix] = item.pk
            ids[next(p for p in kind.children if p.files).api_prefix] = stored.pk
    return ids


# Paths whose `results` is no resource list: the change feed, and search (results of every kind,
# with `total` and `facets`; tests/search/test_api.py).
NOT_LISTS = ("/api/v1/changes/", "/api/v1/search/")


def test_every_get_path_in_the_schema_answers_as_documented(schema, world, coordinator):
    client = client_for(coordinator)
    walked = 0
    for path, item in schema["paths"].items():
        if "get" not in item:
            continue
        url = _fill(path, world)
        if path == "/api/v1/search/":  # the one GET with a required parameter
            url += "?q=RESPIRE"
        response = client.get(url)
        documented = item["get"]["responses"]
        assert str(response.status_code) in documented, (url, response.status_code)
        assert response.status_code in (200, 404), (
            url,
            response.status_code,
            response.content[:300],
        )
        if "/download/" not in url:
            assert response.status_code == 200, (url, response.content[:300])
            body = response.json()
            if "results" in body and "{id}" not in path and path not in NOT_LISTS:
                assert set(body) == {"next", "previous", "results"}
                assert body["results"], url
                row = body["results"][0]
                assert {"id", "url", "created_at", "updated_at"} <= set(row), url
        walked += 1
    assert walked >= 25


def test_every_path_answers_unauthenticated_callers_with_a_documented_status(schema, world):
    client = client_for()
    for path, item in schema["paths"].items():
        for method in item:
            if method not in ("get", "post", "patch", "delete"):
                continue
            response = getattr(client, method)(_fill(path, world), {}, format="json")
            assert str(response.status_code) in item[method]["responses"], (
                method,
                path,
                response.status_code,
            )


def test_every_write_path_answers_a_signed_in_caller_with_a_documented_status(schema, world):
    """An empty body from a coordinator: each write answers one of its documented statuses
    (mostly a 400 naming the missing fields), never a 5xx."""
    from tests.accounts.factories import UserFactory
    from tests.organisations.factories import AffiliationFactory
    from tests.projects.factories import MembershipFactory

    # A second coordinator, so the walk's membership changes meet the project's own rules
    # rather than "the last coordinator cannot leave".
    project = world["projects"]
    coordinator = UserFactory()
    lead = Partner.objects.get(pk=world["partner_id"])
    AffiliationFactory(user=coordinator, organisation=lead.organisation)
    MembershipFactory(
        project_id=project,
        user=coordinator,
        organisation=lead.organisation,
        role=MembershipRole.COORDINATOR,
    )
    client = client_for(coordinator)
    walked = 0
    for path, item in schema["paths"].items():
        for method in ("post", "patch", "delete"):
            if method not in item:
                continue
            response = getattr(client, method)(_fill(path, world), {}, format="json")
            documented = item[method]["responses"]
            assert str(response.status_code) in documented, (
                method,
                path,
                response.status_code,
                response.content[:300],
            )
            assert response.status_code < 500, (method, path)
            walked += 1
    assert walked >= 25


def test_a_nul_in_the_query_string_is_a_documented_400_on_every_route(schema, world, coordinator):
    client = client_for(coordinator)
    walked = 0
    for path, item in schema["paths"].items():
        for method in ("get", "post", "patch", "put", "delete"):
            if method not in item:
                continue
            response = getattr(client, method)(_fill(path, world) + "?search=a%00b", format="json")
            assert response.status_code == 400, (method, path, response.status_code)
            assert response["Content-Type"] == "application/problem+json", (method, path)
            assert "application/problem+json" in item[method]["responses"]["400"]["content"]
            walked += 1
    assert walked >= 40


def test_the_change_feeds_resource_enum_is_every_kind_the_feed_sends(schema):
    from apps.api.feed import viewsets

    items = schema["components"]["schemas"]["ChangeItem"]["properties"]["resource"]
    enum = schema["components"]["schemas"][items["$ref"].rsplit("/", 1)[1]]["enum"]
    assert set(enum) == set(viewsets())
    assert "deliverable" in enum


def test_downloads_declare_and_answer_one_binary_media_type(schema, world, coordinator):
    client = client_for(coordinator)
    for resource in ("dataset-files", "protocol-versions"):
        path = f"/api/v1/{resource}/{{id}}/download/"
        declared = schema["paths"][path]["get"]["responses"]["200"]["content"]
        assert list(declared) == ["application/octet-stream"], path
        assert declared["application/octet-stream"]["schema"]["format"] == "binary"
        response = client.get(_fill(path, world))
        assert response.status_code == 200, path
        assert response["Content-Type"] == "application/octet-stream", path
