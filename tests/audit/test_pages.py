"""Audit pages and exports: staff read everything, coordinators their project, stewards their
datasets' download log; CSV exports never run a formula."""

import csv
import io

import pytest
from django.urls import reverse

from apps.access.services import access_request_create, access_request_reject, access_request_submit
from apps.audit.services import audit_record
from apps.datasets.services import dataset_file_record_download
from apps.organisations.models import AffiliationRole
from tests.access.factories import AccessGrantFactory
from tests.accounts.factories import UserFactory
from tests.organisations.factories import AffiliationFactory, OrganisationFactory
from tests.projects.factories import ProjectFactory


def rows(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


@pytest.fixture
def elsewhere(staff):
    """An event of another project that a RESPIRE coordinator must not see."""
    other = ProjectFactory(acronym="OTHER")
    return audit_record(actor=staff, action="project.activate", target=other, project_id=other.pk)


@pytest.fixture
def download(controlled_dataset, partner_member, partner_org):
    AccessGrantFactory(
        request__dataset=controlled_dataset,
        request__requester=partner_member,
        request__organisation=partner_org,
    )
    dataset_file_record_download(file=controlled_dataset.files.get(), actor=partner_member)


def test_staff_filter_the_audit_log_and_export_it(client, staff, controlled_dataset, elsewhere):
    client.force_login(staff)
    url = reverse("audit:event_list")
    page = client.get(url, {"action": "dataset.policy"})
    assert page.status_code == 200
    assert "dataset.policy.set" in page.content.decode()
    assert "project.activate" not in page.content.decode()
    exported = rows(client.get(url, {"action": "dataset.policy", "format": "csv"}))
    assert [row["action"] for row in exported] == ["dataset.policy.set"]


def test_an_invalid_filter_is_a_form_error(client, staff):
    client.force_login(staff)
    response = client.get(
        reverse("audit:event_list"), {"date_from": "2026-02-01", "date_to": "2026-01-01"}
    )
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()


def test_a_coordinator_sees_their_projects_events_only(
    client, coordinator, project, controlled_dataset, elsewhere
):
    client.force_login(coordinator)
    html = client.get(reverse("audit:event_list")).content.decode()
    assert "dataset.policy.set" in html
    assert "project.activate" not in html
    assert (
        client.get(reverse("audit:project_events", kwargs={"slug": project.slug})).status_code
        == 200
    )


def test_a_member_who_is_not_a_coordinator_gets_403_for_the_project_log(
    client, partner_member, project
):
    client.force_login(partner_member)
    assert (
        client.get(reverse("audit:project_events", kwargs={"slug": project.slug})).status_code
        == 403
    )


def test_someone_with_no_audit_rights_gets_403_for_the_audit_log(client, outsider):
    client.force_login(outsider)
    assert client.get(reverse("audit:event_list")).status_code == 403


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("audit:event_list"))
    assert response.status_code == 302


def test_the_steward_organisations_admin_reads_the_download_log(
    client, coordinator, controlled_dataset, download, partner_member
):
    # The coordinator is an admin of lead_org, the dataset's steward.
    client.force_login(coordinator)
    url = reverse("audit:dataset_downloads", kwargs={"pk": controlled_dataset.pk})
    html = client.get(url).content.decode()
    assert "dataset.file.download" in html
    assert partner_member.display_name in html


def test_a_steward_admin_who_is_not_in_the_project_still_reads_the_download_log(
    client, lead_org, controlled_dataset, download
):
    admin = UserFactory()
    AffiliationFactory(user=admin, organisation=lead_org, role=AffiliationRole.ADMIN)
    client.force_login(admin)
    html = client.get(reverse("audit:event_list")).content.decode()
    assert "dataset.file.download" in html
    assert "dataset.policy.set" not in html  # not a coordinator: downloads only


def test_the_downloader_gets_403_for_the_download_log(
    client, partner_member, controlled_dataset, download
):
    client.force_login(partner_member)
    url = reverse("audit:dataset_downloads", kwargs={"pk": controlled_dataset.pk})
    assert client.get(url).status_code == 403


def test_an_outsider_gets_404_for_the_download_log(client, outsider, controlled_dataset, project):
    project.summary_visibility = "members"
    project.save()
    client.force_login(outsider)
    url = reverse("audit:dataset_downloads", kwargs={"pk": controlled_dataset.pk})
    assert client.get(url).status_code == 404


def test_who_had_access_export_lists_every_grant_of_the_dataset(
    client, coordinator, controlled_dataset, partner_member, partner_org
):
    AccessGrantFactory(
        request__dataset=controlled_dataset,
        request__requester=partner_member,
        request__organisation=partner_org,
    )
    client.force_login(coordinator)
    exported = rows(
        client.get(reverse("audit:dataset_access_export", kwargs={"pk": controlled_dataset.pk}))
    )
    assert [(r["email"], r["status"]) for r in exported] == [("researcher@example.ac.uk", "active")]


def test_a_person_exports_their_own_grants_and_not_someone_elses(
    client, partner_member, partner_org, outsider
):
    AccessGrantFactory(request__requester=partner_member, request__organisation=partner_org)
    client.force_login(partner_member)
    mine = rows(client.get(reverse("audit:person_grants_export", kwargs={"pk": partner_member.pk})))
    assert len(mine) == 1
    other = client.get(reverse("audit:person_grants_export", kwargs={"pk": outsider.pk}))
    assert other.status_code == 404


def test_committee_decisions_export_has_times_and_reasons_and_defuses_formulas(
    client, dac_member, controlled_dataset, partner_member, partner_org, request_data
):
    draft = access_request_create(
        dataset=controlled_dataset,
        requester=partner_member,
        organisation=partner_org,
        data=request_data,
    )
    access_request_submit(access_request=draft, actor=partner_member)
    access_request_reject(access_request=draft, actor=dac_member, reason='=HYPERLINK("x")')
    client.force_login(dac_member)
    url = reverse(
        "audit:committee_decisions_export", kwargs={"slug": controlled_dataset.project.slug}
    )
    exported = rows(client.get(url))
    assert exported[0]["status"] == "rejected"
    assert exported[0]["check_outcome"] == "Passes"  # in words, as the pages show it
    assert exported[0]["decided_by"] == "reviewer@nhs.test"
    assert exported[0]["reason"] == '\'=HYPERLINK("x")'
    assert exported[0]["days_to_decision"] != ""


def test_a_consortium_member_off_the_committee_cannot_export_its_decisions(
    client, partner_member, committee
):
    client.force_login(partner_member)
    url = reverse("audit:committee_decisions_export", kwargs={"slug": committee.project.slug})
    assert client.get(url).status_code == 403


def test_the_audit_log_runs_a_constant_number_of_queries(
    client, staff, django_assert_max_num_queries
):
    org = OrganisationFactory()
    for n in range(60):
        audit_record(actor=staff, action=f"test.{n}", target=org)
    client.force_login(staff)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("audit:event_list")).status_code == 200


def test_staff_read_a_projects_audit_log_too(client, staff, project, controlled_dataset):
    client.force_login(staff)
    response = client.get(reverse("audit:project_events", kwargs={"slug": project.slug}))
    assert response.status_code == 200
    assert "dataset.policy.set" in response.content.decode()


def test_the_audit_log_reads_in_words_and_offers_object_types_to_choose(
    client, staff, controlled_dataset, elsewhere
):
    staff.first_name, staff.last_name = "Ada", "Staffer"
    staff.save()
    long_reason = "The committee asked for the ethics approval letter again. " * 6
    audit_record(
        actor=staff,
        action="access_request.return",
        target=controlled_dataset,
        reason=long_reason,
        project_id=controlled_dataset.project_id,
    )
    client.force_login(staff)
    html = client.get(reverse("audit:event_list")).content.decode()
    assert "Access request: return" in html
    assert ">Dataset<" in html  # the object type, not datasets.dataset
    assert "Ada Staffer" in html
    assert long_reason.strip() in html and 'class="audit-reason"' in html
    assert '<select name="target_type"' in html
    assert '<option value="access.accessgrant">Access grant</option>' in html
    assert f'href="{reverse("audit:event_list")}"' in client.get(reverse("home")).content.decode()

    chosen = client.get(reverse("audit:event_list"), {"target_type": "projects.project"})
    assert "Project: activate" in chosen.content.decode()
    assert "Access request: return" not in chosen.content.decode()
    exported = rows(client.get(reverse("audit:event_list"), {"format": "csv"}))
    assert {"access_request.return", "project.activate"} <= {row["action"] for row in exported}
