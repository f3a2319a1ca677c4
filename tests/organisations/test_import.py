"""CSV import of organisations: every bad row reported, all or nothing, no duplicates."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.organisations.models import (
    Organisation,
    OrganisationDomain,
    OrganisationImport,
    OrganisationStatus,
)
from apps.organisations.services import (
    organisation_import_save,
    organisations_import,
    organisations_import_parse,
)
from apps.organisations.tasks import run_import
from tests.accounts.factories import UserFactory
from tests.organisations.factories import OrganisationFactory

pytestmark = pytest.mark.django_db
HEADER = ["name", "kind", "country", "ror_id", "domains"]
KINDS = ["pharma", "diagnostics", "university", "nhs", "charity"]


def _rows(count=1000):
    return [
        [
            f"Imported Organisation {n:04d}",
            KINDS[n % len(KINDS)],
            ["GB", "DE", "FR", "NL"][n % 4],
            "",
            f"org{n:04d}.test; mail.org{n:04d}.test" if n % 3 == 0 else "",
        ]
        for n in range(count)
    ]


def _csv(rows, header=HEADER) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _with_three_bad_rows():
    rows = _rows()
    rows[9][1] = "spaceship"  # line 11: kind
    rows[499][2] = "Atlantis"  # line 501: country
    rows[997][4] = "gmail.com"  # line 999: domains
    return rows


def test_acceptance_three_bad_rows_are_all_reported_and_nothing_is_imported(staff):
    report = organisations_import(text=_csv(_with_three_bad_rows()), actor=staff, dry_run=False)
    assert [(e.line, e.column) for e in report.errors] == [
        (11, "kind"),
        (501, "country"),
        (999, "domains"),
    ]
    assert not report.written
    assert not Organisation.objects.exists()


def test_acceptance_the_corrected_file_imports_1000_and_again_creates_none(staff):
    text = _csv(_rows())
    first = organisations_import(text=text, actor=staff, dry_run=False)
    assert first.ok and first.written and first.created == 1000
    assert Organisation.objects.filter(status=OrganisationStatus.APPROVED).count() == 1000
    assert OrganisationDomain.objects.count() == 2 * 334
    again = organisations_import(text=text, actor=staff, dry_run=False)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1000)
    assert Organisation.objects.count() == 1000
    assert AuditEvent.objects.filter(action="organisation.import_create").count() == 1000


def test_a_dry_run_reports_what_would_happen_and_writes_nothing(staff):
    report = organisations_import(text=_csv(_rows(10)), actor=staff, dry_run=True)
    assert report.ok and report.created == 10 and not report.written
    assert not Organisation.objects.exists()


def test_rows_match_by_ror_id_first_then_by_name_ignoring_case(staff):
    by_ror = OrganisationFactory(name="Old Name", ror_id="02jx3x895")
    by_name = OrganisationFactory(name="University of Oxford", country="GB")
    text = _csv(
        [
            ["University College London", "university", "GB", "02jx3x895", "ucl.ac.uk"],
            ["UNIVERSITY OF OXFORD", "university", "GB", "052gg0110", ""],
        ]
    )
    report = organisations_import(text=text, actor=staff, dry_run=False)
    assert (report.created, report.updated) == (0, 2)
    by_ror.refresh_from_db()
    by_name.refresh_from_db()
    assert by_ror.name == "University College London"
    assert [d.domain for d in by_ror.domains.all()] == ["ucl.ac.uk"]
    assert by_name.ror_id == "052gg0110"


def test_every_kind_of_bad_cell_is_named_by_line_and_column(staff, other_org):
    OrganisationDomain.objects.create(organisation=other_org, domain="taken.test")
    OrganisationFactory(name="Has Ror", ror_id="013meh722")
    rows = [
        ["", "pharma", "GB", "", ""],  # 2 name empty
        ["A", "pharma", "GB", "02jx3x894", ""],  # 3 bad check digit
        ["B", "pharma", "GB", "02jx3x895", ""],  # 4 fine
        ["C", "pharma", "GB", "02jx3x895", ""],  # 5 ROR repeated
        ["b", "pharma", "GB", "", ""],  # 6 name repeated
        ["D", "pharma", "GB", "", "taken.test"],  # 7 domain of another organisation
        ["E", "pharma", "GB", "", "bad_domain"],  # 8 malformed domain
        ["Has Ror", "pharma", "GB", "052gg0110", ""],  # 9 name's organisation has another ROR
        ["Diagnostix", "pharma", "GB", "013meh722", ""],  # 10 ROR and name disagree
        ["F", "Pharmaceutical company", "germany", "", "f.test"],  # 11 labels accepted
    ]
    report = organisations_import_parse(_csv(rows))
    assert [(e.line, e.column) for e in report.errors] == [
        (2, "name"),
        (3, "ror_id"),
        (5, "ror_id"),
        (6, "name"),
        (7, "domains"),
        (8, "domains"),
        (9, "ror_id"),
        (10, "name"),
    ]
    assert "line 4" in report.errors[2].message


def test_a_missing_or_unknown_column_is_reported_on_line_1():
    report = organisations_import_parse("name,type,country\nX,pharma,GB\n")
    assert {(e.line, e.column) for e in report.errors} == {(1, "kind"), (1, "type")}


def test_a_row_with_too_many_fields_is_reported():
    report = organisations_import_parse("name,kind,country\nX,pharma,GB,extra\n")
    assert [(e.line, e.column) for e in report.errors] == [(2, "-")]


def test_an_empty_file_is_reported():
    assert organisations_import_parse("").errors[0].line == 1
    assert "no organisations" in organisations_import_parse("name,kind,country\n").errors[0].message


# --- The management command -----------------------------------------------------------------


def test_the_command_dry_run_lists_bad_rows_and_fails(tmp_path, capsys):
    path = tmp_path / "orgs.csv"
    path.write_text(_csv(_with_three_bad_rows()))
    with pytest.raises(CommandError, match="3 problem"):
        call_command("import_organisations", str(path), "--dry-run")
    err = capsys.readouterr().err
    assert "line 11, column kind" in err and "line 501, column country" in err
    assert "line 999, column domains" in err
    assert not Organisation.objects.exists()


def test_the_command_imports_with_a_progress_bar_and_is_idempotent(tmp_path, capsys):
    path = tmp_path / "orgs.csv"
    path.write_text("\ufeff" + _csv(_rows(50)))  # Excel's byte-order mark is fine
    call_command("import_organisations", str(path))
    captured = capsys.readouterr()
    assert "Imported orgs.csv: 50 to create" in captured.out
    assert "50/50" in captured.err  # tqdm's bar
    call_command("import_organisations", str(path))
    assert "0 to create, 0 to update, 50 unchanged" in capsys.readouterr().out
    assert Organisation.objects.count() == 50


def test_the_command_reports_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_organisations", str(tmp_path / "nope.csv"))


# --- The staff console upload ---------------------------------------------------------------

URL = reverse("organisations:staff_import")


def _upload(text, name="orgs.csv"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_staff_dry_run_in_the_console_shows_every_bad_row(login, staff):
    response = login(staff).post(
        URL, {"file": _upload(_csv(_with_three_bad_rows())), "dry_run": "on"}
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "3 problems found; nothing was imported" in content
    assert [e.line for e in response.context["report"].errors] == [11, 501, 999]


def test_staff_import_in_the_console_is_saved_queued_and_run_by_the_worker(
    login, staff, django_capture_on_commit_callbacks
):
    client = login(staff)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        response = client.post(URL, {"file": _upload(_csv(_rows(20)), "partners.csv")})
    job = OrganisationImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("organisations:staff_import_progress", args=[job.pk])
    # The file is kept before anything is written; the task is queued after the commit.
    assert (job.status, job.file_name, job.text) == ("queued", "partners.csv", _csv(_rows(20)))
    assert len(queued) == 1 and not Organisation.objects.exists()
    assert "Waiting for a worker" in client.get(response["Location"]).content.decode()

    assert run_import.apply(args=[str(job.pk)]).get() == "done"
    assert Organisation.objects.count() == 20
    assert AuditEvent.objects.filter(action="organisation.import_create", actor=staff).count() == 20
    page = client.get(response["Location"]).content.decode()
    assert "Imported partners.csv" in page and "20 created, 0 updated, 0 unchanged" in page


def test_a_non_utf8_file_gets_a_form_error(login, staff):
    upload = SimpleUploadedFile(
        "orgs.csv", "name,kind,country\nZürich,pharma,CH\n".encode("latin-1")
    )
    response = login(staff).post(URL, {"file": upload})
    assert "not UTF-8" in str(response.context["form"].errors["file"])


def test_no_file_gets_a_form_error(login, staff):
    response = login(staff).post(URL, {})
    assert "file" in response.context["form"].errors


def test_only_staff_may_import(client, login, partner_member, org_admin):
    assert client.get(URL).status_code == 302
    assert login(partner_member).get(URL).status_code == 403
    assert login(org_admin).post(URL, {"file": _upload(_csv(_rows(2)))}).status_code == 403
    assert not Organisation.objects.filter(name__startswith="Imported").exists()


def test_after_a_clean_dry_run_the_checked_file_imports_without_choosing_it_again(login, staff):
    client = login(staff)
    checked = client.post(URL, {"file": _upload(_csv(_rows(30)), "partners.csv"), "dry_run": "on"})
    html = checked.content.decode()
    assert "Import partners.csv now" in html
    assert Organisation.objects.count() == 0
    job = checked.context["checked"]
    assert job.status == "checked"

    response = client.post(URL, {"checked": str(job.pk)})
    assert response.status_code == 302
    run_import.apply(args=[str(job.pk)])
    assert Organisation.objects.count() == 30
    # Used once: the same check cannot import again.
    again = client.post(URL, {"checked": str(job.pk)}, follow=True)
    assert "That check has expired" in again.content.decode()
    assert client.post(URL, {"checked": "not-an-id"}, follow=True).status_code == 200
    assert Organisation.objects.count() == 30


def test_nobody_else_can_start_a_checked_import(login, staff):
    other_staff = UserFactory(is_staff=True)
    job = organisation_import_save(
        text=_csv(_rows(3)), file_name="a.csv", actor=other_staff, checked=True
    )
    response = login(staff).post(URL, {"checked": str(job.pk)}, follow=True)
    assert "That check has expired" in response.content.decode()
    job.refresh_from_db()
    assert job.status == "checked"


def test_the_template_csv_names_the_columns_and_its_examples_pass_a_dry_run(login, staff):
    client = login(staff)
    assert reverse("organisations:staff_import_template") in client.get(URL).content.decode()
    template = client.get(reverse("organisations:staff_import_template"))
    assert template["Content-Type"].startswith("text/csv")
    text = template.content.decode()
    assert text.splitlines()[0] == "name,kind,country,ror_id,domains"
    report = client.post(URL, {"file": _upload(text), "dry_run": "on"}).context["report"]
    assert report.errors == [] and report.created == 2


def test_checked_files_nobody_imported_within_an_hour_are_dropped(staff):
    stale = organisation_import_save(text="x", file_name="old.csv", actor=staff, checked=True)
    OrganisationImport.objects.filter(pk=stale.pk).update(
        created_at=timezone.now() - timedelta(hours=2)
    )
    queued = organisation_import_save(text="x", file_name="q.csv", actor=staff, checked=False)
    OrganisationImport.objects.filter(pk=queued.pk).update(
        created_at=timezone.now() - timedelta(hours=2)
    )
    organisation_import_save(text="y", file_name="new.csv", actor=staff, checked=True)
    assert sorted(OrganisationImport.objects.values_list("file_name", flat=True)) == [
        "new.csv",
        "q.csv",
    ]
