"""Every list endpoint answers with the same number of SQL queries for 10 and 200 rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.audit.services import audit_record
from apps.documents.models import ProtocolVersion
from apps.milestones.models import Deliverable, Milestone
from apps.notifications.models import Notification
from apps.projects.models import Biomarker, MembershipRole
from tests.access.factories import AccessGrantFactory, AccessRequestFactory
from tests.accounts.factories import UserFactory
from tests.api.conftest import client_for
from tests.datasets.factories import DatasetFactory, DatasetFileFactory
from tests.documents.factories import ProtocolFactory, ProtocolVersionFactory
from tests.organisations.factories import AffiliationFactory, OrganisationFactory
from tests.projects.factories import (
    DiseaseAreaFactory,
    MembershipFactory,
    PartnerFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db


def _projects(n, ctx):
    for _ in range(n):
        project = ProjectFactory()
        project.disease_areas.add(DiseaseAreaFactory())
        organisation = OrganisationFactory()
        PartnerFactory(project=project, organisation=organisation)
        person = UserFactory()
        AffiliationFactory(user=person, organisation=organisation)
        MembershipFactory(project=project, user=person, organisation=organisation)
        Biomarker.objects.create(project=project, name="FeNO", kind="clinical", stratum="T2-high")


def _datasets(n, ctx):
    for _ in range(n):
        dataset = DatasetFactory(project=ctx["project"])
        dataset.allowed_organisations.add(ctx["project"].partners.first().organisation)
        DatasetFileFactory(dataset=dataset)


def _protocols(n, ctx):
    for _ in range(n):
        ProtocolVersionFactory(
            protocol=ProtocolFactory(project=ctx["project"]), status=ProtocolVersion.Status.APPROVED
        )


def _requests(n, ctx):
    for _ in range(n):
        AccessRequestFactory(status="submitted")


def _grants(n, ctx):
    for _ in range(n):
        AccessGrantFactory()


def _milestones(n, ctx):
    for i in range(n):
        Milestone.objects.create(
            project=ctx["project"], title=f"M{i}", due_date="2027-01-01", owner=ctx["staff"]
        )


def _deliverables(n, ctx):
    start = Deliverable.objects.filter(project=ctx["project"]).count()
    dataset = DatasetFactory(project=ctx["project"])
    for i in range(start, start + n):
        deliverable = Deliverable.objects.create(
            project=ctx["project"], code=f"D{i}", title=f"Report {i}", due_month=6
        )
        deliverable.datasets.add(dataset)


def _notifications(n, ctx):
    Notification.objects.bulk_create(
        Notification(recipient=ctx["staff"], event_type="invitation", subject=f"N{i}")
        for i in range(n)
    )


def _audit(n, ctx):
    for i in range(n):
        audit_record(actor=ctx["staff"], action=f"test.{i}", target=ctx["project"])


LISTS = {
    "/api/v1/organisations/": lambda n, ctx: [OrganisationFactory() for _ in range(n)],
    "/api/v1/disease-areas/": lambda n, ctx: [DiseaseAreaFactory() for _ in range(n)],
    "/api/v1/projects/": _projects,
    "/api/v1/datasets/": _datasets,
    "/api/v1/dataset-files/": _datasets,
    "/api/v1/protocols/": _protocols,
    "/api/v1/protocol-versions/": _protocols,
    "/api/v1/access-requests/": _requests,
    "/api/v1/grants/": _grants,
    "/api/v1/milestones/": _milestones,
    "/api/v1/deliverables/": _deliverables,
    "/api/v1/notifications/": _notifications,
    "/api/v1/audit-events/": _audit,
}


def _count(client, url) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"page_size": 200})
    assert response.status_code == 200, response.content
    return len(queries), len(response.json()["results"])


@pytest.mark.slow
@pytest.mark.parametrize("url", list(LISTS))
def test_a_list_costs_the_same_queries_for_10_and_200_rows(url, staff, project, coordinator):
    """Staff see every row (the policy still runs: it is one SQL filter either way)."""
    ctx = {"project": project, "staff": staff}
    client = client_for(staff)
    client.get(url)  # warm up: the token's last-use write happens on the first call
    LISTS[url](10, ctx)
    # Staff's list filter needs no access facts, but some per-row rules do (a download flag
    # asks as the person without staff powers): the first request with rows reads them once
    # and caches them by access version. Measured: requests with the facts cached.
    _count(client, url)
    small, rows_small = _count(client, url)
    LISTS[url](190, ctx)
    large, rows_large = _count(client, url)
    assert rows_small >= 10 and rows_large >= 200
    assert small == large, f"{url}: {small} queries for {rows_small} rows, {large} for {rows_large}"


def test_the_change_feed_costs_the_same_for_10_and_200_entries(staff, project):
    client = client_for(staff)
    head = client.get("/api/v1/changes/?since=latest").json()["cursor"]
    _datasets(5, {"project": project})
    client.get(f"/api/v1/changes/?since={head}&page_size=200")  # reads and caches the facts
    with CaptureQueriesContext(connection) as small:
        client.get(f"/api/v1/changes/?since={head}&page_size=200")
    _datasets(95, {"project": project})
    with CaptureQueriesContext(connection) as large:
        body = client.get(f"/api/v1/changes/?since={head}&page_size=200").json()
    assert len(body["results"]) >= 100
    assert len(small) == len(large)


def test_a_coordinator_list_is_constant_too(coordinator, project):
    client = client_for(coordinator)
    client.get("/api/v1/datasets/")
    _datasets(10, {"project": project})
    small, _ = _count(client, "/api/v1/datasets/")
    _datasets(190, {"project": project})
    large, rows = _count(client, "/api/v1/datasets/")
    assert rows == 200 and small == large
    assert MembershipRole.COORDINATOR
