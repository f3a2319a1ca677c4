"""Downloading dataset files: 404 for anyone who may not download, streamed with checksums."""

import base64
import hashlib

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.core.models import AccessTier
from tests.access.factories import AccessGrantFactory
from tests.datasets.conftest import CSV_BYTES
from tests.datasets.factories import DatasetFactory, DatasetFileFactory

DIGEST = hashlib.sha256(CSV_BYTES).hexdigest()


def download_url(file):
    return reverse("datasets:file_download", kwargs={"pk": file.dataset_id, "file_pk": file.pk})


def test_download_url_shape(consortium_file):
    assert download_url(consortium_file) == (
        f"/datasets/{consortium_file.dataset_id}/files/{consortium_file.pk}/download/"
    )


def test_partner_member_downloads_a_consortium_file_with_checksums(
    client, partner_member, consortium_file
):
    client.force_login(partner_member)
    response = client.get(download_url(consortium_file))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == CSV_BYTES
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Length"] == str(len(CSV_BYTES))
    assert response["Content-Disposition"] == 'attachment; filename="sputum.csv"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["ETag"] == f'"{DIGEST}"'
    assert response["Digest"] == "sha-256=" + base64.b64encode(bytes.fromhex(DIGEST)).decode()
    assert "X-Accel-Redirect" not in response


def test_each_download_writes_an_audit_event(client, partner_member, consortium_file):
    client.force_login(partner_member)
    client.get(download_url(consortium_file))
    client.get(download_url(consortium_file))
    events = AuditEvent.objects.filter(
        action="dataset.file.download", target_id=str(consortium_file.pk)
    )
    assert events.count() == 2
    assert {event.actor_id for event in events} == {partner_member.pk}
    assert events.first().project_id == consortium_file.dataset.project_id


def test_x_accel_redirect_hands_the_file_to_nginx(
    client, settings, partner_member, consortium_file
):
    settings.STRATUM_X_ACCEL_PREFIX = "/protected/"
    client.force_login(partner_member)
    response = client.get(download_url(consortium_file))
    assert response.status_code == 200
    assert response.content == b""
    assert response["X-Accel-Redirect"] == f"/protected/{consortium_file.file.name}"
    assert response["Content-Disposition"] == 'attachment; filename="sputum.csv"'
    assert response["ETag"] == f'"{DIGEST}"'
    assert AuditEvent.objects.filter(action="dataset.file.download").count() == 1


def test_anonymous_download_is_sent_to_sign_in(client, consortium_file):
    response = client.get(download_url(consortium_file))
    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="dataset.file.download").exists()


def test_member_of_a_non_partner_organisation_gets_404(client, outsider, consortium_file):
    client.force_login(outsider)
    assert client.get(download_url(consortium_file)).status_code == 404
    assert not AuditEvent.objects.filter(action="dataset.file.download").exists()


def test_partner_member_without_a_grant_gets_404_for_a_controlled_file(
    client, partner_member, controlled_file
):
    client.force_login(partner_member)
    detail = client.get(reverse("datasets:detail", kwargs={"pk": controlled_file.dataset_id}))
    assert detail.status_code == 200  # the metadata is visible to the consortium
    assert client.get(download_url(controlled_file)).status_code == 404


def test_grant_holder_downloads_a_controlled_file(
    client, partner_member, partner_org, controlled_file
):
    AccessGrantFactory(
        request__dataset=controlled_file.dataset,
        request__requester=partner_member,
        request__organisation=partner_org,
    )
    client.force_login(partner_member)
    response = client.get(download_url(controlled_file))
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == DIGEST


def test_staff_do_not_download_by_being_staff(client, staff, consortium_file):
    client.force_login(staff)
    assert client.get(download_url(consortium_file)).status_code == 404


def test_file_of_another_dataset_is_404(client, partner_member, consortium_file, project):
    other = DatasetFactory(project=project)
    client.force_login(partner_member)
    url = reverse("datasets:file_download", kwargs={"pk": other.pk, "file_pk": consortium_file.pk})
    assert client.get(url).status_code == 404


def test_named_organisations_tier_serves_only_the_named(
    client, project, lead_org, partner_member, coordinator
):
    dataset = DatasetFactory(
        project=project, access_tier=AccessTier.ORGANISATIONS, allowed_organisations=[lead_org]
    )
    file = DatasetFileFactory(dataset=dataset, content=CSV_BYTES)
    client.force_login(partner_member)
    assert client.get(download_url(file)).status_code == 404
    client.force_login(coordinator)
    assert client.get(download_url(file)).status_code == 200


@pytest.mark.parametrize("tier", [AccessTier.PUBLIC, AccessTier.REGISTERED])
def test_open_tiers_serve_signed_in_members_of_any_approved_organisation(
    client, project, outsider, tier
):
    file = DatasetFileFactory(
        dataset=DatasetFactory(project=project, access_tier=tier), content=CSV_BYTES
    )
    client.force_login(outsider)
    assert client.get(download_url(file)).status_code == 200


def test_unaffiliated_person_cannot_download_a_registered_file(client, project, unaffiliated):
    dataset = DatasetFactory(project=project, access_tier=AccessTier.REGISTERED)
    file = DatasetFileFactory(dataset=dataset, content=CSV_BYTES)
    client.force_login(unaffiliated)
    assert client.get(download_url(file)).status_code == 404


def test_file_missing_from_storage_is_404_and_records_no_download(
    client, partner_member, consortium_file
):
    consortium_file.file.storage.delete(consortium_file.file.name)
    client.force_login(partner_member)
    assert client.get(download_url(consortium_file)).status_code == 404
    assert not AuditEvent.objects.filter(action="dataset.file.download").exists()


def test_models_know_their_urls(consortium_file):
    assert consortium_file.get_download_url() == download_url(consortium_file)
    assert consortium_file.dataset.get_absolute_url() == f"/datasets/{consortium_file.dataset_id}/"
