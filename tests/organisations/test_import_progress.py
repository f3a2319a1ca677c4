"""Issue 20: an import of thousands of rows runs in a worker and shows its progress; an import
that stops midway says exactly what was imported, and carries on from there."""

from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.organisations.models import Organisation, OrganisationImport
from apps.organisations.services import (
    organisation_import_resume,
    organisation_import_run,
    organisation_import_save,
)
from apps.organisations.services.imports import CHUNK_ROWS, ImportRowFailed
from apps.organisations.tasks import run_import
from tests.organisations.factories import OrganisationFactory
from tests.organisations.test_import import _csv, _rows

pytestmark = pytest.mark.django_db
ROWS = 3000


def _queued(staff, rows, name="partners.csv") -> OrganisationImport:
    return organisation_import_save(text=_csv(rows), file_name=name, actor=staff, checked=False)


def _progress(client, job) -> str:
    """The fragment htmx polls for."""
    url = reverse("organisations:staff_import_progress", args=[job.pk])
    return client.get(url, headers={"HX-Request": "true"}).content.decode()


def test_a_file_of_thousands_of_rows_shows_rows_done_of_the_total_while_it_runs(login, staff):
    client = login(staff)
    job = _queued(staff, _rows(ROWS))
    seen = []

    def watch():
        job.refresh_from_db()
        seen.append((job.rows_done, job.total_rows, job.status))
        if len(seen) == 5:
            fragment = _progress(client, job)
            assert "1000 of 3000 rows done (33%)" in fragment
            assert 'max="3000" value="1000"' in fragment
            assert 'hx-trigger="every 1s"' in fragment  # still polling

    assert organisation_import_run(import_id=job.pk, after_chunk=watch).status == "done"
    assert seen == [(n, ROWS, "running") for n in range(CHUNK_ROWS, ROWS + 1, CHUNK_ROWS)]
    assert Organisation.objects.count() == ROWS
    assert AuditEvent.objects.filter(action="organisation.import_create").count() == ROWS

    fragment = _progress(client, job)
    assert "3000 rows: 3000 created, 0 updated, 0 unchanged" in fragment
    assert "hx-trigger" not in fragment  # finished: polling stops


def test_bad_rows_found_by_the_worker_are_listed_by_line_and_nothing_is_imported(login, staff):
    rows = _rows(50)
    rows[9][1] = "spaceship"
    rows[30][2] = "Atlantis"
    job = _queued(staff, rows)
    assert run_import.apply(args=[str(job.pk)]).get() == "invalid"
    job.refresh_from_db()
    assert [(e["line"], e["column"]) for e in job.errors] == [(11, "kind"), (32, "country")]
    assert job.rows_done == 0 and not Organisation.objects.exists()
    fragment = _progress(login(staff), job)
    assert "2 problems found; nothing was imported" in fragment
    assert "“spaceship” is not a kind of organisation" in fragment


def test_an_import_that_fails_midway_says_exactly_what_was_imported_and_carries_on(login, staff):
    job = _queued(staff, _rows(1000))
    chunks = []

    def someone_takes_a_slug():
        # After the first chunk, another writer takes the slug that row 450 (line 451) would get.
        chunks.append(1)
        if len(chunks) == 1:
            OrganisationFactory(name="Squatter", slug="imported-organisation-0449")

    with pytest.raises(ImportRowFailed) as stopped:
        organisation_import_run(import_id=job.pk, after_chunk=someone_takes_a_slug)
    assert isinstance(stopped.value.__cause__, IntegrityError)
    job.refresh_from_db()
    # Chunks 1 and 2 (lines 2-401) were committed; the chunk holding line 451 was rolled back.
    assert (job.status, job.rows_done, job.last_line, job.created) == ("failed", 400, 401, 400)
    assert job.failure.startswith("Writing line 451:")
    assert Organisation.objects.filter(name__startswith="Imported").count() == 400
    fragment = _progress(login(staff), job)
    assert "The import stopped" in fragment
    assert "Imported: the rows up to line 401 (400 of 1000: 400 created" in fragment
    assert "Carry on from line 402" in fragment

    response = login(staff).post(reverse("organisations:staff_import_resume", args=[job.pk]))
    assert response.status_code == 302
    assert run_import.apply(args=[str(job.pk)]).get() == "done"
    job.refresh_from_db()
    assert (job.rows_done, job.created, job.unchanged, job.failure) == (1000, 1000, 0, "")
    assert Organisation.objects.filter(name__startswith="Imported").count() == 1000


def test_a_second_message_for_the_same_import_does_nothing(staff):
    job = _queued(staff, _rows(5))
    assert run_import.apply(args=[str(job.pk)]).get() == "done"
    assert run_import.apply(args=[str(job.pk)]).get() is None
    assert Organisation.objects.count() == 5


def test_an_import_whose_worker_was_lost_is_shown_and_taken_over(login, staff):
    job = _queued(staff, _rows(5))
    # As a killed worker leaves it: running, its last chunk committed three minutes ago.
    OrganisationImport.objects.filter(pk=job.pk).update(
        status="running", heartbeat_at=timezone.now() - timedelta(minutes=3), total_rows=5
    )
    assert "stopped answering 3\xa0minutes ago" in _progress(login(staff), job)
    # The broker's redelivery (acks_late) or staff's "carry on" takes it over.
    assert organisation_import_resume(import_id=job.pk)
    assert run_import.apply(args=[str(job.pk)]).get() == "done"
    assert Organisation.objects.count() == 5


def test_a_running_import_is_not_taken_over(staff):
    job = _queued(staff, _rows(5))
    OrganisationImport.objects.filter(pk=job.pk).update(
        status="running", heartbeat_at=timezone.now()
    )
    assert run_import.apply(args=[str(job.pk)]).get() is None
    assert not organisation_import_resume(import_id=job.pk)
    assert not Organisation.objects.exists()


def test_only_staff_see_an_import(client, login, staff, partner_member):
    job = _queued(staff, _rows(2))
    url = reverse("organisations:staff_import_progress", args=[job.pk])
    assert client.get(url).status_code == 302
    assert login(partner_member).get(url).status_code == 403
    resume = reverse("organisations:staff_import_resume", args=[job.pk])
    assert login(partner_member).post(resume).status_code == 403
    assert login(staff).get(url).status_code == 200


def test_the_import_page_lists_recent_imports_with_links_to_their_progress(login, staff):
    job = _queued(staff, _rows(2), name="recent.csv")
    html = login(staff).get(reverse("organisations:staff_import")).content.decode()
    assert "recent.csv" in html
    assert reverse("organisations:staff_import_progress", args=[job.pk]) in html
