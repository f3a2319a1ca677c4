"""Acceptance 3 of issue #15, the write-path matrix: every way a row can be written records a
change-feed entry in the same transaction, because the database records it (triggers), not a
`post_save` receiver. One test per path; each also reads the entry back through the feed."""

import pytest
from django.db import connection, migrations
from django.db.models import Max
from django.utils import timezone

from apps.changes.models import ChangeEntry
from apps.datasets.models import Dataset
from apps.datasets.services import dataset_update
from apps.notifications.models import EventType, Notification
from apps.notifications.services import notification_emit
from apps.organisations.models import Organisation, OrganisationStatus
from tests.api.conftest import client_for
from tests.datasets.factories import DatasetFactory
from tests.organisations.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def _mark() -> int:
    return ChangeEntry.objects.aggregate(last=Max("id"))["last"] or 0


def _recorded(after: int, resource: str, object_id) -> list[str]:
    """The kinds of the entries recorded for one object since `after`."""
    return list(
        ChangeEntry.objects.filter(id__gt=after, resource=resource, object_id=object_id)
        .order_by("id")
        .values_list("kind", flat=True)
    )


def _feed(user, cursor: str) -> dict:
    body = client_for(user).get(f"/api/v1/changes/?since={cursor}&page_size=200").json()
    return {(item["resource"], item["id"]): item for item in body["results"]}


def _head(user) -> str:
    return client_for(user).get("/api/v1/changes/?since=latest").json()["cursor"]


@pytest.fixture
def dataset(project, lead_org):
    return DatasetFactory(project=project, steward_organisation=lead_org, title="Sputum cohort")


def test_a_service_write_is_recorded(dataset, coordinator, partner_member):
    mark, head = _mark(), _head(partner_member)
    dataset_update(dataset=dataset, actor=coordinator, title="Sputum cohort, wave 2")
    assert _recorded(mark, "dataset", dataset.pk)
    item = _feed(partner_member, head)[("dataset", str(dataset.pk))]
    assert (item["op"], item["data"]["title"]) == ("upsert", "Sputum cohort, wave 2")


def test_a_queryset_update_is_recorded(dataset, partner_member):
    mark, head = _mark(), _head(partner_member)
    Dataset.objects.filter(pk=dataset.pk).update(title="Renamed by update()")
    assert _recorded(mark, "dataset", dataset.pk) == ["upsert"]
    assert _feed(partner_member, head)[("dataset", str(dataset.pk))]["data"]["title"] == (
        "Renamed by update()"
    )


def test_bulk_create_and_bulk_update_are_recorded(project, lead_org, partner_member):
    mark, head = _mark(), _head(partner_member)
    rows = Dataset.objects.bulk_create(
        [
            Dataset(project=project, steward_organisation=lead_org, title=f"Bulk {i}")
            for i in range(3)
        ]
    )
    for row in rows:
        row.title = f"{row.title} (bulk_update)"
    Dataset.objects.bulk_update(rows, ["title"])
    for row in rows:
        assert _recorded(mark, "dataset", row.pk) == ["upsert", "upsert"]
    feed = _feed(partner_member, head)
    assert {feed[("dataset", str(row.pk))]["data"]["title"] for row in rows} == {
        f"Bulk {i} (bulk_update)" for i in range(3)
    }


def test_an_admin_action_is_recorded(client, staff):
    pending = OrganisationFactory(name="Pending Labs", status=OrganisationStatus.PENDING)
    mark = _mark()
    client.force_login(staff)
    response = client.post(
        "/admin/organisations/organisation/",
        {"action": "approve", "_selected_action": [str(pending.pk)]},
    )
    assert response.status_code == 302
    assert Organisation.objects.get(pk=pending.pk).status == OrganisationStatus.APPROVED
    assert "upsert" in _recorded(mark, "organisation", pending.pk)


def test_raw_sql_in_a_data_migration_is_recorded(dataset, partner_member):
    mark, head = _mark(), _head(partner_member)
    sqlite = connection.vendor == "sqlite"
    statement = (
        "UPDATE datasets_dataset SET title = %s WHERE id = %s",
        ["Renamed by a migration", dataset.pk.hex if sqlite else dataset.pk],
    )
    operation = migrations.RunSQL([statement], migrations.RunSQL.noop)
    if sqlite:
        # SQLite's schema editor cannot open inside the test's transaction; RunSQL would send
        # this very statement through a cursor.
        with connection.cursor() as cursor:
            cursor.execute(*statement)
    else:
        with connection.schema_editor(atomic=True) as editor:
            operation.database_forwards("datasets", editor, None, None)
    assert _recorded(mark, "dataset", dataset.pk) == ["upsert"]
    item = _feed(partner_member, head)[("dataset", str(dataset.pk))]
    assert item["data"]["title"] == "Renamed by a migration"


def test_a_deletion_is_recorded_as_a_tombstone(dataset, partner_member):
    mark, head, pk = _mark(), _head(partner_member), dataset.pk
    Dataset.objects.filter(pk=pk).delete()
    assert _recorded(mark, "dataset", pk) == ["tombstone"]
    assert _feed(partner_member, head)[("dataset", str(pk))]["op"] == "tombstone"


def _notification(user) -> Notification:
    [note] = notification_emit(
        event_type=EventType.INVITATION, recipients=[user], subject="You are invited", url="/"
    )
    return note


def test_marking_a_notification_read_in_the_browser_records_like_the_api(client, partner_member):
    by_page, by_api = _notification(partner_member), _notification(partner_member)
    head, moment = _head(partner_member), timezone.now()
    client.force_login(partner_member)
    assert client.post(f"/notifications/{by_page.pk}/read/").status_code in (200, 302)
    api = client_for(partner_member)
    assert api.post(f"/api/v1/notifications/{by_api.pk}/read/").status_code == 200

    feed = _feed(partner_member, head)
    for note in (by_page, by_api):
        item = feed[("notification", str(note.pk))]
        assert (item["op"], item["data"]["is_read"]) == ("upsert", True)
    # `?updated_since` lists both too: the service moves updated_at with read_at.
    body = api.get("/api/v1/notifications/", {"updated_since": moment.isoformat()}).json()
    assert {row["id"] for row in body["results"]} >= {str(by_page.pk), str(by_api.pk)}
