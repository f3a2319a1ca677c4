"""Dataset pages for each persona: happy path, anonymous, outsider (404), read-only (403),
invalid input."""

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.core.models import AccessTier
from apps.datasets.models import Dataset, DatasetStatus
from apps.notifications.models import EventType, Notification
from apps.projects.models import SummaryVisibility
from tests.datasets.factories import DatasetFactory, DatasetFileFactory
from tests.organisations.factories import OrganisationFactory
from tests.projects.factories import PartnerFactory


def detail_url(dataset):
    return reverse("datasets:detail", kwargs={"pk": dataset.pk})


def create_url(project):
    return reverse("datasets:create", kwargs={"project_pk": project.pk})


def form_data(steward, **overrides):
    return {
        "title": "Blood eosinophil counts",
        "description": "Baseline counts.",
        "steward_organisation": str(steward.pk),
        "access_tier": AccessTier.CONSORTIUM,
        **overrides,
    }


# --- Detail -------------------------------------------------------------------------------------
def test_partner_member_sees_metadata_files_and_policy_link(
    client, partner_member, consortium_file
):
    client.force_login(partner_member)
    response = client.get(detail_url(consortium_file.dataset))
    html = response.content.decode()
    assert response.status_code == 200
    assert "RESPIRE sputum cohort" in html
    assert consortium_file.sha256 in html
    assert "sputum.csv" in html
    assert f"/access/datasets/{consortium_file.dataset_id}/policy/" in html
    assert (
        reverse(
            "datasets:file_download",
            kwargs={"pk": consortium_file.dataset_id, "file_pk": consortium_file.pk},
        )
        in html
    )


def test_detail_shows_breadcrumbs_project_datasets_dataset(
    client, partner_member, consortium_dataset
):
    client.force_login(partner_member)
    html = client.get(detail_url(consortium_dataset)).content.decode()
    crumbs = html[html.index('aria-label="Breadcrumb"') :]
    assert (
        crumbs.index("RESPIRE") < crumbs.index("Datasets") < crumbs.index("RESPIRE sputum cohort")
    )


def test_partner_colleague_sees_no_edit_controls(client, partner_org_colleague, consortium_dataset):
    client.force_login(partner_org_colleague)
    html = client.get(detail_url(consortium_dataset)).content.decode()
    assert reverse("datasets:edit", kwargs={"pk": consortium_dataset.pk}) not in html
    assert "Edit the data-use conditions" not in html


def test_anonymous_gets_404_for_consortium_dataset(client, consortium_dataset):
    assert client.get(detail_url(consortium_dataset)).status_code == 404


def test_anonymous_sees_a_public_dataset_without_download(client, project):
    dataset = DatasetFactory(project=project, access_tier=AccessTier.PUBLIC)
    file = DatasetFileFactory(dataset=dataset)
    response = client.get(detail_url(dataset))
    assert response.status_code == 200
    assert "Sign in to download" in response.content.decode()
    assert f"/files/{file.pk}/download/" not in response.content.decode()


def test_member_of_a_non_partner_organisation_gets_404_for_consortium_detail(
    client, outsider, consortium_dataset
):
    client.force_login(outsider)
    assert client.get(detail_url(consortium_dataset)).status_code == 404


def test_draft_is_hidden_from_partners_who_cannot_edit(
    client, partner_org_colleague, partner_member, draft_dataset
):
    client.force_login(partner_org_colleague)
    assert client.get(detail_url(draft_dataset)).status_code == 404
    client.force_login(partner_member)
    assert client.get(detail_url(draft_dataset)).status_code == 200


def test_detail_shows_the_current_policy_conditions(client, partner_member, consortium_dataset):
    from apps.datasets.models import DataUseCondition, DataUsePolicy, DuoTerm

    policy = DataUsePolicy.objects.create(dataset=consortium_dataset, version=1)
    DuoTerm.objects.get_or_create(
        id="DUO:0000042",
        defaults={
            "shorthand": "GRU",
            "label": "general research use",
            "kind": "permission",
            "summary": "Any research.",
        },
    )
    DuoTerm.objects.get_or_create(
        id="DUO:0000025",
        defaults={
            "shorthand": "TS",
            "label": "time limit on use",
            "kind": "modifier",
            "requires_value": "months",
            "summary": "Months.",
        },
    )
    DataUseCondition.objects.create(policy=policy, term_id="DUO:0000042")
    DataUseCondition.objects.create(policy=policy, term_id="DUO:0000025", value=12)
    client.force_login(partner_member)
    html = client.get(detail_url(consortium_dataset)).content.decode()
    assert "Policy version 1" in html
    assert "General research use" in html and "Time limit on use" in html
    # A DUO value by name: months as months, never "12 … (integer)".
    assert ': <span class="text-break">12 months</span>' in html and "(integer)" not in html


# --- Create -------------------------------------------------------------------------------------
def test_contributor_creates_a_draft_dataset(client, partner_member, project, partner_org):
    client.force_login(partner_member)
    response = client.post(create_url(project), form_data(partner_org))
    dataset = Dataset.objects.get(title="Blood eosinophil counts")
    assert response.status_code == 302
    assert response["Location"] == detail_url(dataset)
    assert (dataset.status, dataset.steward_organisation, dataset.created_by) == (
        DatasetStatus.DRAFT,
        partner_org,
        partner_member,
    )
    assert AuditEvent.objects.filter(action="dataset.create", target_id=str(dataset.pk)).exists()


def test_create_form_renders_for_a_contributor(client, partner_member, project):
    client.force_login(partner_member)
    response = client.get(create_url(project))
    assert response.status_code == 200
    assert "Steward organisation" in response.content.decode()


def test_anonymous_create_is_sent_to_sign_in(client, project):
    response = client.get(create_url(project))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_partner_colleague_who_is_not_a_member_gets_403_on_create(
    client, partner_org_colleague, project
):
    client.force_login(partner_org_colleague)
    assert client.get(create_url(project)).status_code == 403


def test_outsider_gets_404_on_create_in_a_members_only_project(client, outsider, project):
    project.summary_visibility = SummaryVisibility.MEMBERS
    project.save()
    client.force_login(outsider)
    assert client.get(create_url(project)).status_code == 404


def test_steward_must_be_an_active_partner(client, partner_member, project, other_org):
    client.force_login(partner_member)
    response = client.post(create_url(project), form_data(other_org))
    assert response.status_code == 400
    assert not Dataset.objects.filter(title="Blood eosinophil counts").exists()


def test_named_organisations_tier_needs_partner_organisations(
    client, partner_member, project, partner_org
):
    client.force_login(partner_member)
    response = client.post(
        create_url(project), form_data(partner_org, access_tier=AccessTier.ORGANISATIONS)
    )
    assert response.status_code == 400
    assert "Name at least one organisation" in response.content.decode()
    response = client.post(
        create_url(project),
        form_data(
            partner_org,
            access_tier=AccessTier.ORGANISATIONS,
            allowed_organisations=[str(partner_org.pk)],
        ),
    )
    assert response.status_code == 302
    assert list(
        Dataset.objects.get(title="Blood eosinophil counts").allowed_organisations.all()
    ) == [partner_org]


def test_missing_title_is_a_form_error(client, partner_member, project, partner_org):
    client.force_login(partner_member)
    response = client.post(create_url(project), form_data(partner_org, title=""))
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()


def test_service_refuses_a_non_partner_steward_even_when_called_directly(project, partner_member):
    from django.core.exceptions import ValidationError

    from apps.datasets.services import dataset_create

    stranger = OrganisationFactory()
    with pytest.raises(ValidationError):
        dataset_create(
            project=project, actor=partner_member, title="X", steward_organisation=stranger
        )
    left = OrganisationFactory()
    PartnerFactory(project=project, organisation=left, status="left")
    with pytest.raises(ValidationError):
        dataset_create(project=project, actor=partner_member, title="X", steward_organisation=left)


# --- Edit -----------------------------------------------------------------------------------------
def test_contributor_edits_a_dataset(client, partner_member, consortium_dataset, partner_org):
    client.force_login(partner_member)
    url = reverse("datasets:edit", kwargs={"pk": consortium_dataset.pk})
    assert client.get(url).status_code == 200
    response = client.post(url, form_data(partner_org, title="Renamed cohort"))
    assert response.status_code == 302
    consortium_dataset.refresh_from_db()
    assert consortium_dataset.title == "Renamed cohort"
    event = AuditEvent.objects.get(action="dataset.update")
    assert event.details["changed"]["title"] == ["RESPIRE sputum cohort", "Renamed cohort"]


def test_edit_for_personas(client, partner_org_colleague, outsider, consortium_dataset):
    url = reverse("datasets:edit", kwargs={"pk": consortium_dataset.pk})
    assert client.get(url).status_code == 302
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(partner_org_colleague)
    assert client.get(url).status_code == 403


def test_invalid_edit_changes_nothing(client, partner_member, consortium_dataset, other_org):
    client.force_login(partner_member)
    url = reverse("datasets:edit", kwargs={"pk": consortium_dataset.pk})
    response = client.post(url, form_data(other_org, title="Should not stick"))
    assert response.status_code == 400
    consortium_dataset.refresh_from_db()
    assert consortium_dataset.title == "RESPIRE sputum cohort"


# --- Publish and retire -----------------------------------------------------------------------------
def test_publishing_notifies_the_consortium(
    client,
    partner_member,
    coordinator,
    partner_org_colleague,
    outsider,
    draft_dataset,
    django_capture_on_commit_callbacks,
):
    client.force_login(partner_member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("datasets:publish", kwargs={"pk": draft_dataset.pk}))
    assert response.status_code == 302
    draft_dataset.refresh_from_db()
    assert draft_dataset.status == DatasetStatus.PUBLISHED
    assert draft_dataset.published_at is not None
    notified = set(
        Notification.objects.filter(event_type=EventType.DATASET_PUBLISHED).values_list(
            "recipient_id", flat=True
        )
    )
    assert coordinator.pk in notified and partner_org_colleague.pk in notified
    assert outsider.pk not in notified and partner_member.pk not in notified
    assert AuditEvent.objects.filter(action="dataset.publish", to_state="published").exists()


def test_publishing_twice_is_refused(client, partner_member, consortium_dataset):
    client.force_login(partner_member)
    response = client.post(
        reverse("datasets:publish", kwargs={"pk": consortium_dataset.pk}), follow=True
    )
    assert "Only a draft dataset can be published." in response.content.decode()


def test_publish_for_personas(
    client, partner_org_colleague, outsider, draft_dataset, consortium_dataset
):
    assert (
        client.post(reverse("datasets:publish", kwargs={"pk": draft_dataset.pk})).status_code == 302
    )
    client.force_login(outsider)
    assert (
        client.post(reverse("datasets:publish", kwargs={"pk": draft_dataset.pk})).status_code == 404
    )
    client.force_login(partner_org_colleague)
    assert (
        client.post(reverse("datasets:publish", kwargs={"pk": draft_dataset.pk})).status_code == 404
    )
    assert (
        client.post(reverse("datasets:publish", kwargs={"pk": consortium_dataset.pk})).status_code
        == 403
    )
    draft_dataset.refresh_from_db()
    assert draft_dataset.status == DatasetStatus.DRAFT


def test_retire_needs_a_reason_and_hides_the_dataset(
    client, partner_member, partner_org_colleague, consortium_dataset
):
    client.force_login(partner_member)
    url = reverse("datasets:retire", kwargs={"pk": consortium_dataset.pk})
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "Consent withdrawn by the cohort."}).status_code == 302
    consortium_dataset.refresh_from_db()
    assert consortium_dataset.status == DatasetStatus.RETIRED
    assert (
        AuditEvent.objects.get(action="dataset.retire").reason == "Consent withdrawn by the cohort."
    )
    client.force_login(partner_org_colleague)
    assert client.get(detail_url(consortium_dataset)).status_code == 404


def test_retire_is_refused_to_read_only_partners(client, partner_org_colleague, consortium_dataset):
    client.force_login(partner_org_colleague)
    url = reverse("datasets:retire", kwargs={"pk": consortium_dataset.pk})
    assert client.post(url, {"reason": "x"}).status_code == 403


# --- File deletion ------------------------------------------------------------------------------------
def test_contributor_deletes_a_file_and_its_bytes(
    client, partner_member, consortium_file, stored_files, django_capture_on_commit_callbacks
):
    client.force_login(partner_member)
    url = reverse(
        "datasets:file_delete",
        kwargs={"pk": consortium_file.dataset_id, "file_pk": consortium_file.pk},
    )
    assert client.get(url).status_code == 200
    assert stored_files() != []
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
    assert not consortium_file.dataset.files.exists()
    assert stored_files() == []
    assert AuditEvent.objects.filter(action="dataset.file.delete").exists()


def test_file_delete_for_personas(client, partner_org_colleague, outsider, consortium_file):
    url = reverse(
        "datasets:file_delete",
        kwargs={"pk": consortium_file.dataset_id, "file_pk": consortium_file.pk},
    )
    client.force_login(outsider)
    assert client.post(url).status_code == 404
    client.force_login(partner_org_colleague)
    assert client.post(url).status_code == 403
    assert consortium_file.dataset.files.exists()


def test_project_viewer_reads_but_gets_403_on_every_change(
    client, project, partner_org, consortium_file
):
    from apps.projects.models import MembershipRole
    from tests.accounts.factories import UserFactory
    from tests.organisations.factories import AffiliationFactory
    from tests.projects.factories import MembershipFactory

    viewer = UserFactory(email="viewer@example.ac.uk")
    AffiliationFactory(user=viewer, organisation=partner_org)
    MembershipFactory(
        project=project, user=viewer, organisation=partner_org, role=MembershipRole.VIEWER
    )
    client.force_login(viewer)
    dataset = consortium_file.dataset
    assert client.get(detail_url(dataset)).status_code == 200
    for name in ("edit", "retire", "file_upload", "publish"):
        url = reverse(f"datasets:{name}", kwargs={"pk": dataset.pk})
        assert client.post(url, {"reason": "x", "title": "x"}).status_code == 403, name
    assert client.get(create_url(project)).status_code == 403


def test_retired_dataset_takes_no_new_files(partner_member, consortium_dataset):
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.datasets.services import dataset_file_add, dataset_retire

    dataset_retire(dataset=consortium_dataset, actor=partner_member, reason="Superseded.")
    consortium_dataset.refresh_from_db()
    with pytest.raises(ValidationError, match="retired"):
        dataset_file_add(
            dataset=consortium_dataset,
            actor=partner_member,
            upload=SimpleUploadedFile("a.csv", b"a,b\n"),
        )


def test_update_without_named_organisations_keeps_them(partner_member, project, lead_org):
    from apps.datasets.services import dataset_update

    dataset = DatasetFactory(
        project=project, access_tier=AccessTier.ORGANISATIONS, allowed_organisations=[lead_org]
    )
    dataset_update(dataset=dataset, actor=partner_member, title="Renamed")
    assert list(dataset.allowed_organisations.all()) == [lead_org]
