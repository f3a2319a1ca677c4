"""Acceptance 5 (audit half): UPDATE and DELETE on the audit table fail on PostgreSQL, whoever
asks; inserting still works."""

import pytest
from django.db import DatabaseError, connection, transaction

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append-only trigger is PostgreSQL's"
)


@pytest.fixture
def event(staff):
    return audit_record(actor=staff, action="test.event", target=staff, reason="kept")


def test_updating_an_audit_event_through_the_orm_fails(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    event.refresh_from_db()
    assert event.reason == "kept"


def test_deleting_an_audit_event_through_the_orm_fails(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_raw_sql_update_and_delete_fail_too(event):
    for sql in (
        "UPDATE audit_auditevent SET action = 'x' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"


def test_appending_still_works(event, staff):
    audit_record(actor=staff, action="test.second", target=staff)
    assert AuditEvent.objects.filter(action__startswith="test.").count() == 2
