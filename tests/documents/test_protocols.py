"""Protocols: immutable versions, approval that supersedes, history, comparison, downloads."""

import hashlib
import threading

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, InternalError, connection, transaction
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.core.models import AccessTier
from apps.documents import services
from apps.documents.models import Protocol, ProtocolVersion
from apps.notifications.models import EventType, Notification
from tests.documents.factories import ProtocolFactory, ProtocolVersionFactory

Status = ProtocolVersion.Status
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
IS_POSTGRES = django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def detail_url(protocol):
    return reverse("documents:detail", kwargs={"pk": protocol.pk})


def version_url(name, version):
    return reverse(
        f"documents:{name}", kwargs={"pk": version.protocol_id, "number": version.number}
    )


# --- Creating protocols and versions -------------------------------------------------------------
def test_contributor_creates_a_protocol_with_its_first_version(client, partner_member, project):
    client.force_login(partner_member)
    url = reverse("documents:create", kwargs={"project_pk": project.pk})
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "title": "Spirometry SOP",
            "access_tier": AccessTier.CONSORTIUM,
            "change_note": "First version.",
            "file": SimpleUploadedFile("spirometry.pdf", PDF),
        },
    )
    protocol = Protocol.objects.get(title="Spirometry SOP")
    assert response.status_code == 302
    version = protocol.versions.get()
    assert (version.number, version.status, version.content_type) == (
        1,
        Status.DRAFT,
        "application/pdf",
    )
    assert version.sha256 == hashlib.sha256(PDF).hexdigest()
    assert AuditEvent.objects.filter(action="protocol.create").exists()


def test_protocol_create_refuses_the_controlled_tier_and_bad_files(
    client, partner_member, project, tmp_path
):
    client.force_login(partner_member)
    url = reverse("documents:create", kwargs={"project_pk": project.pk})
    data = {
        "title": "X",
        "access_tier": AccessTier.CONTROLLED,
        "change_note": "v1",
        "file": SimpleUploadedFile("x.pdf", PDF),
    }
    assert client.post(url, data).status_code == 400
    data = {
        "title": "X",
        "access_tier": AccessTier.CONSORTIUM,
        "change_note": "v1",
        "file": SimpleUploadedFile("x.html", b"<html></html>"),
    }
    assert client.post(url, data).status_code == 400
    assert not Protocol.objects.filter(title="X").exists()
    media = tmp_path / "media"
    assert not media.exists() or [p for p in media.rglob("*") if p.is_file()] == []


def test_protocol_create_over_the_limit_keeps_the_typed_fields(
    client, settings, partner_member, project
):
    settings.STRATUM_UPLOAD_MAX_BYTES = 16
    client.force_login(partner_member)
    url = reverse("documents:create", kwargs={"project_pk": project.pk})
    data = {
        "title": "Kept title",
        "access_tier": AccessTier.CONSORTIUM,
        "change_note": "v1",
        "file": SimpleUploadedFile("x.pdf", PDF),
    }
    response = client.post(url, data)
    assert response.status_code == 413
    assert 'value="Kept title"' in response.content.decode()
    assert not Protocol.objects.exists()


def test_create_for_personas(client, partner_org_colleague, outsider, project):
    url = reverse("documents:create", kwargs={"project_pk": project.pk})
    assert client.get(url).status_code == 302
    client.force_login(partner_org_colleague)
    assert client.get(url).status_code == 403
    project.summary_visibility = "members"
    project.save()
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_new_version_gets_the_next_number(client, partner_member, approved_v1):
    client.force_login(partner_member)
    url = reverse("documents:version_upload", kwargs={"pk": approved_v1.protocol_id})
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"change_note": "Clarified timings.", "file": SimpleUploadedFile("sop-v2.pdf", PDF)}
    )
    assert response.status_code == 302
    assert list(approved_v1.protocol.versions.values_list("number", "status")) == [
        (2, Status.DRAFT),
        (1, Status.APPROVED),
    ]


def test_new_version_needs_a_change_note(client, partner_member, approved_v1):
    client.force_login(partner_member)
    url = reverse("documents:version_upload", kwargs={"pk": approved_v1.protocol_id})
    response = client.post(url, {"change_note": "", "file": SimpleUploadedFile("sop.pdf", PDF)})
    assert response.status_code == 400
    assert approved_v1.protocol.versions.count() == 1


def test_version_upload_for_personas(client, partner_org_colleague, outsider, protocol):
    url = reverse("documents:version_upload", kwargs={"pk": protocol.pk})
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(partner_org_colleague)
    assert (
        client.post(url, {"change_note": "x", "file": SimpleUploadedFile("a.pdf", PDF)}).status_code
        == 403
    )
    assert not protocol.versions.exists()


@pytest.mark.skipif(not IS_POSTGRES, reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_get_distinct_consecutive_numbers(project, partner_member):
    protocol = ProtocolFactory(project=project)
    barrier = threading.Barrier(3)
    errors = []

    def upload(index):
        try:
            barrier.wait()
            services.protocol_version_add(
                protocol=protocol,
                actor=partner_member,
                upload=SimpleUploadedFile(f"v{index}.pdf", PDF),
                change_note=f"Upload {index}",
            )
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=upload, args=(index,)) for index in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(protocol.versions.values_list("number", flat=True)) == [1, 2, 3]


# --- Approval -------------------------------------------------------------------------------------
def test_coordinator_approval_supersedes_the_previous_version(
    client, coordinator, partner_member, approved_v1, draft_v2, django_capture_on_commit_callbacks
):
    client.force_login(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(version_url("version_approve", draft_v2))
    assert response.status_code == 302
    approved_v1.refresh_from_db()
    draft_v2.refresh_from_db()
    assert approved_v1.status == Status.SUPERSEDED
    assert (draft_v2.status, draft_v2.approved_by) == (Status.APPROVED, coordinator)
    assert draft_v2.approved_at is not None
    assert (
        ProtocolVersion.objects.filter(protocol=draft_v2.protocol, status=Status.APPROVED).count()
        == 1
    )
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"protocol.version.approve", "protocol.version.supersede"} <= actions
    assert Notification.objects.filter(
        event_type=EventType.PROTOCOL_VERSION, recipient=partner_member
    ).exists()


def test_contributor_cannot_approve(client, partner_member, draft_v2):
    client.force_login(partner_member)
    assert client.post(version_url("version_approve", draft_v2)).status_code == 403
    draft_v2.refresh_from_db()
    assert draft_v2.status == Status.DRAFT


def test_outsider_gets_404_when_approving(client, outsider, draft_v2):
    client.force_login(outsider)
    assert client.post(version_url("version_approve", draft_v2)).status_code == 404


def test_approving_a_version_twice_is_refused(coordinator, approved_v1):
    with pytest.raises(ValidationError):
        services.protocol_version_approve(version=approved_v1, actor=coordinator)


def test_an_older_draft_cannot_replace_a_newer_approved_version(protocol, coordinator):
    old_draft = ProtocolVersionFactory(protocol=protocol)
    ProtocolVersionFactory(protocol=protocol, status=Status.APPROVED)
    with pytest.raises(ValidationError, match="already approved"):
        services.protocol_version_approve(version=old_draft, actor=coordinator)


# --- Immutability ------------------------------------------------------------------------------------
def test_approved_and_superseded_versions_cannot_be_edited_or_deleted_by_services(
    coordinator, approved_v1, draft_v2
):
    services.protocol_version_approve(version=draft_v2, actor=coordinator)
    approved_v1.refresh_from_db()
    draft_v2.refresh_from_db()
    for version in (approved_v1, draft_v2):
        with pytest.raises(ValidationError, match="cannot be changed"):
            services.protocol_version_update(
                version=version, actor=coordinator, change_note="Rewritten"
            )
        with pytest.raises(ValidationError, match="cannot be changed"):
            services.protocol_version_delete(version=version, actor=coordinator)
    assert ProtocolVersion.objects.filter(protocol=approved_v1.protocol).count() == 2


def test_approved_version_edit_and_delete_pages_are_refused(client, coordinator, approved_v1):
    client.force_login(coordinator)
    assert client.get(version_url("version_edit", approved_v1)).status_code == 403
    assert client.post(version_url("version_delete", approved_v1)).status_code == 403
    approved_v1.refresh_from_db()
    assert approved_v1.change_note == "First issue."


def test_contributor_edits_and_deletes_a_draft(
    client, partner_member, draft_v2, django_capture_on_commit_callbacks
):
    client.force_login(partner_member)
    assert (
        client.post(version_url("version_edit", draft_v2), {"change_note": ""}).status_code == 400
    )
    assert (
        client.post(
            version_url("version_edit", draft_v2), {"change_note": "Saline 4.5%, timings kept."}
        ).status_code
        == 302
    )
    draft_v2.refresh_from_db()
    assert draft_v2.change_note == "Saline 4.5%, timings kept."
    stored_name = draft_v2.file.name
    assert client.get(version_url("version_delete", draft_v2)).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(version_url("version_delete", draft_v2)).status_code == 302
    assert not ProtocolVersion.objects.filter(pk=draft_v2.pk).exists()
    assert not draft_v2.file.storage.exists(stored_name)


def test_draft_edit_for_personas(client, partner_org_colleague, outsider, draft_v2):
    client.force_login(outsider)
    assert client.get(version_url("version_edit", draft_v2)).status_code == 404
    client.force_login(partner_org_colleague)
    # A draft is invisible to people who cannot edit the protocol.
    assert client.get(version_url("version_edit", draft_v2)).status_code == 404


@pytest.mark.skipif(not IS_POSTGRES, reason="the database guard is a PostgreSQL trigger")
def test_database_refuses_changing_or_deleting_an_approved_version(approved_v1):
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        ProtocolVersion.objects.filter(pk=approved_v1.pk).update(change_note="Rewritten quietly")
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        ProtocolVersion.objects.filter(pk=approved_v1.pk).delete()
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        ProtocolVersion.objects.filter(pk=approved_v1.pk).update(status=Status.DRAFT)
    # Superseding is the one change allowed, and then the row is frozen for good.
    ProtocolVersion.objects.filter(pk=approved_v1.pk).update(status=Status.SUPERSEDED)
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        ProtocolVersion.objects.filter(pk=approved_v1.pk).update(status=Status.APPROVED)


@pytest.mark.skipif(not IS_POSTGRES, reason="the database guard is a PostgreSQL trigger")
def test_deleting_the_approver_keeps_the_version(approved_v1, coordinator):
    ProtocolVersion.objects.filter(pk=approved_v1.pk).update(approved_by=None)
    approved_v1.refresh_from_db()
    assert approved_v1.approved_by is None


def test_admin_shows_approved_versions_read_only(client, staff, approved_v1):
    client.force_login(staff)
    url = reverse("admin:documents_protocolversion_change", args=[approved_v1.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()
    client.post(url, {"change_note": "Edited in admin", "status": "draft"})
    approved_v1.refresh_from_db()
    assert (approved_v1.change_note, approved_v1.status) == ("First issue.", Status.APPROVED)
    delete = client.post(
        reverse("admin:documents_protocolversion_delete", args=[approved_v1.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    assert ProtocolVersion.objects.filter(pk=approved_v1.pk).exists()


# --- Detail, history and comparison ------------------------------------------------------------------
def test_history_and_comparison_of_the_two_newest_versions(
    client, partner_member, approved_v1, draft_v2
):
    client.force_login(partner_member)
    html = client.get(detail_url(approved_v1.protocol)).content.decode()
    assert "Version history" in html
    assert approved_v1.sha256 in html and draft_v2.sha256 in html
    assert "-  First issue." in html
    assert "+  Saline raised to 4.5%." in html


def test_comparison_escapes_change_notes(client, partner_member, protocol):
    ProtocolVersionFactory(protocol=protocol, change_note="Plain.")
    ProtocolVersionFactory(protocol=protocol, change_note="<script>alert(1)</script>")
    client.force_login(partner_member)
    html = client.get(detail_url(protocol), {"older": 1, "newer": 2}).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_comparing_a_version_with_itself_is_a_form_error(
    client, partner_member, approved_v1, draft_v2
):
    client.force_login(partner_member)
    html = client.get(detail_url(approved_v1.protocol), {"older": 1, "newer": 1}).content.decode()
    assert "Choose two different versions." in html


def test_partner_colleague_sees_approved_versions_but_not_drafts(
    client, partner_org_colleague, approved_v1, draft_v2
):
    client.force_login(partner_org_colleague)
    response = client.get(detail_url(approved_v1.protocol))
    assert [version.number for version in response.context["versions"]] == [1]
    assert "Upload a new version" not in response.content.decode()


def test_detail_for_anonymous_and_outsider(client, outsider, protocol):
    assert client.get(detail_url(protocol)).status_code == 404
    client.force_login(outsider)
    assert client.get(detail_url(protocol)).status_code == 404
    public = ProtocolFactory(project=protocol.project, access_tier=AccessTier.PUBLIC)
    client.logout()
    assert client.get(detail_url(public)).status_code == 200


def test_protocol_edit(client, partner_member, partner_org_colleague, outsider, protocol):
    url = reverse("documents:edit", kwargs={"pk": protocol.pk})
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(partner_org_colleague)
    assert client.get(url).status_code == 403
    client.force_login(partner_member)
    assert client.post(url, {"title": "", "access_tier": "consortium"}).status_code == 400
    assert client.post(url, {"title": "Renamed SOP", "access_tier": "public"}).status_code == 302
    protocol.refresh_from_db()
    assert (protocol.title, protocol.access_tier) == ("Renamed SOP", "public")


def test_project_protocol_list(client, partner_member, outsider, approved_v1, draft_v2):
    project = approved_v1.protocol.project
    url = reverse("documents:project_list", kwargs={"project_pk": project.pk})
    client.force_login(partner_member)
    response = client.get(url)
    assert response.status_code == 200
    assert "Sputum induction SOP" in response.content.decode()
    assert "Version 1" in response.content.decode()
    client.force_login(outsider)
    assert "Sputum induction SOP" not in client.get(url).content.decode()


# --- Downloads ------------------------------------------------------------------------------------------
def test_partner_downloads_an_approved_version(client, partner_org_colleague, approved_v1):
    client.force_login(partner_org_colleague)
    response = client.get(version_url("version_download", approved_v1))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == approved_v1.sha256
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["ETag"] == f'"{approved_v1.sha256}"'
    assert (
        AuditEvent.objects.filter(
            action="protocol.version.download", target_id=str(approved_v1.pk)
        ).count()
        == 1
    )


def test_version_download_url_shape(approved_v1):
    assert (
        version_url("version_download", approved_v1)
        == f"/protocols/{approved_v1.protocol_id}/versions/1/download/"
    )


def test_version_downloads_are_404_for_those_who_may_not(
    client, outsider, partner_org_colleague, approved_v1, draft_v2
):
    assert client.get(version_url("version_download", approved_v1)).status_code == 302
    client.force_login(outsider)
    assert client.get(version_url("version_download", approved_v1)).status_code == 404
    client.force_login(partner_org_colleague)
    assert client.get(version_url("version_download", draft_v2)).status_code == 404
    missing = reverse(
        "documents:version_download", kwargs={"pk": approved_v1.protocol_id, "number": 99}
    )
    assert client.get(missing).status_code == 404
    assert not AuditEvent.objects.filter(action="protocol.version.download").exists()


def test_controlled_protocols_serve_nobody(client, partner_member, project):
    protocol = ProtocolFactory(project=project, access_tier=AccessTier.CONTROLLED)
    version = ProtocolVersionFactory(protocol=protocol, status=Status.APPROVED)
    client.force_login(partner_member)
    assert client.get(version_url("version_download", version)).status_code == 404


def test_protocol_models_know_their_urls(approved_v1):
    assert approved_v1.protocol.get_absolute_url() == detail_url(approved_v1.protocol)
    assert approved_v1.get_download_url() == version_url("version_download", approved_v1)


def test_approval_asks_for_confirmation_first(
    client, coordinator, partner_member, approved_v1, draft_v2
):
    client.force_login(coordinator)
    response = client.get(version_url("version_approve", draft_v2))
    assert response.status_code == 200
    assert "Version 1, approved now, will be marked superseded." in response.content.decode()
    draft_v2.refresh_from_db()
    assert draft_v2.status == Status.DRAFT
    client.force_login(partner_member)
    assert client.get(version_url("version_approve", draft_v2)).status_code == 403


def test_protocol_upload_forms_carry_the_limit_for_the_progress_script(
    client, settings, partner_member, protocol
):
    settings.STRATUM_UPLOAD_MAX_BYTES = 4096
    client.force_login(partner_member)
    for url in (
        reverse("documents:create", kwargs={"project_pk": protocol.project_id}),
        reverse("documents:version_upload", kwargs={"pk": protocol.pk}),
    ):
        html = client.get(url).content.decode()
        assert 'data-upload-max-bytes="4096"' in html and "data-upload-form" in html
