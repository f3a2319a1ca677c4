"""Commit order: the feed never moves a cursor past an entry whose transaction is still
running, so a late commit with an earlier sequence number is never skipped."""

import threading

import pytest
from django.db import connection, transaction

from apps.changes.selectors import cursor_decode, head_cursor
from tests.api.conftest import client_for
from tests.datasets.factories import DatasetFactory


@pytest.mark.slow
@pytest.mark.skipif(connection.vendor != "postgresql", reason="xid8 snapshots are PostgreSQL's")
def test_a_slow_transaction_holds_back_later_commits_until_it_commits(
    transactional_db, partner_member, project, lead_org
):
    client = client_for(partner_member)
    cursor = head_cursor()
    written, release, done = threading.Event(), threading.Event(), threading.Event()
    slow_ids = []

    def slow_writer():
        with transaction.atomic():
            slow_ids.append(DatasetFactory(project=project, steward_organisation=lead_org).pk)
            written.set()
            release.wait(10)
        connection.close()
        done.set()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert written.wait(10)
    fast = DatasetFactory(project=project, steward_organisation=lead_org)  # commits at once

    body = client.get(f"/api/v1/changes/?since={cursor}").json()
    seen = {item["id"] for item in body["results"]}
    assert str(fast.pk) not in seen, "an entry after a running transaction was released early"
    assert cursor_decode(body["cursor"]) == cursor_decode(cursor)

    release.set()
    assert done.wait(10)
    thread.join()
    body = client.get(f"/api/v1/changes/?since={cursor}").json()
    seen = {item["id"] for item in body["results"]}
    assert {str(slow_ids[0]), str(fast.pk)} <= seen
