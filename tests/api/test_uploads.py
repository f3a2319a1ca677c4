"""Uploading dataset files and protocol versions through the API: multipart or a raw body,
streamed and hashed like the site's uploads; a client checksum is verified; refused, oversized
or mismatched uploads leave neither row nor file."""

import base64
import hashlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import FakePayload

from apps.audit.models import AuditEvent
from apps.datasets.models import DatasetFile
from apps.documents.models import ProtocolVersion
from tests.api.conftest import client_for
from tests.datasets.factories import DatasetFactory
from tests.documents.factories import ProtocolFactory, ProtocolVersionFactory

pytestmark = pytest.mark.django_db

CSV = b"sample_id,fev1,eosinophils\nS001,2.31,0.4\nS002,1.87,0.9\n"
CSV_SHA = hashlib.sha256(CSV).hexdigest()


@pytest.fixture(autouse=True)
def _upload_dirs(settings, tmp_path):
    temp_dir = tmp_path / "uploads-tmp"
    temp_dir.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(temp_dir)
    return temp_dir


@pytest.fixture
def stored_files(settings, _upload_dirs):
    """Every file in storage and in the upload temp folder."""

    def collect():
        roots = [Path(settings.MEDIA_ROOT), Path(_upload_dirs)]
        return sorted(str(p) for r in roots if r.exists() for p in r.rglob("*") if p.is_file())

    return collect


@pytest.fixture
def dataset(project):
    return DatasetFactory(project=project, title="RESPIRE sputum cohort")


def files_url(dataset) -> str:
    return f"/api/v1/datasets/{dataset.pk}/files/"


def raw_post(client, url, content, *, name="results.csv", content_type="text/csv", **headers):
    if name:
        headers.setdefault("HTTP_CONTENT_DISPOSITION", f'attachment; filename="{name}"')
    return client.post(url, data=content, content_type=content_type, **headers)


# --- Dataset files -------------------------------------------------------------------------------
def test_a_multipart_upload_is_stored_with_its_checksum(coordinator, dataset):
    response = client_for(coordinator).post(
        files_url(dataset),
        {"file": SimpleUploadedFile("results.csv", CSV), "sha256": CSV_SHA},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["file_name"], body["sha256"], body["size"]) == ("results.csv", CSV_SHA, len(CSV))
    assert body["content_type"] == "text/csv" and body["dataset"] == str(dataset.pk)
    assert response["Location"] == body["url"] and response["ETag"]
    stored = DatasetFile.objects.get(dataset=dataset)
    assert stored.file.read() == CSV
    assert AuditEvent.objects.filter(
        action="dataset.file.upload", target_id=str(stored.pk)
    ).exists()


def test_a_raw_body_named_by_content_disposition_is_stored(coordinator, dataset, stored_files):
    digest = base64.b64encode(hashlib.sha256(CSV).digest()).decode()
    response = raw_post(
        client_for(coordinator),
        files_url(dataset),
        CSV,
        HTTP_CONTENT_DIGEST=f"sha-256=:{digest}:",
    )
    assert response.status_code == 201, response.content
    assert response.json()["sha256"] == CSV_SHA
    stored = DatasetFile.objects.get(dataset=dataset)
    assert stored.file.read() == CSV
    assert len(stored_files()) == 1  # the stored file; the temporary one is gone


def test_a_big_raw_body_is_streamed_not_held_in_memory(coordinator, dataset):
    import tracemalloc

    row = b"S00001,2.31,0.4\n"
    content = b"sample_id,fev1,eosinophils\n" + row * (24 * 1024 * 1024 // len(row))
    client = client_for(coordinator)
    raw_post(client, files_url(dataset), b"a,b\n1,2\n", name="warm-up.csv")  # lazy loading
    # The body is made (and wrapped as the WSGI input) before measuring: the test client
    # would otherwise copy it inside the measured span.
    body = FakePayload(content)
    tracemalloc.start()
    try:
        response = client.request(
            REQUEST_METHOD="POST",
            PATH_INFO=files_url(dataset),
            CONTENT_TYPE="text/csv",
            CONTENT_LENGTH=str(len(content)),
            HTTP_CONTENT_DISPOSITION='attachment; filename="big.csv"',
            **{"wsgi.input": body},
        )
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 201, response.content
    assert response.json()["size"] == len(content)
    assert response.json()["sha256"] == hashlib.sha256(content).hexdigest()
    # Read and hashed in 1 MiB chunks: a few MiB at most, never the 24 MiB body.
    assert peak < 6 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"


def test_a_raw_body_may_be_named_by_the_filename_parameter(coordinator, dataset):
    url = f"{files_url(dataset)}?filename=results.csv&sha256={CSV_SHA}"
    response = raw_post(client_for(coordinator), url, CSV, name=None)
    assert response.status_code == 201, response.content
    assert response.json()["file_name"] == "results.csv"


def test_a_legacy_digest_header_is_checked_too(coordinator, dataset, stored_files):
    wrong = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    response = raw_post(
        client_for(coordinator), files_url(dataset), CSV, HTTP_DIGEST=f"SHA-256={wrong}"
    )
    assert response.status_code == 400
    assert "sha256" in response.json()["errors"]
    assert not DatasetFile.objects.exists() and stored_files() == []


def test_a_checksum_mismatch_is_a_400_and_nothing_is_stored(coordinator, dataset, stored_files):
    response = client_for(coordinator).post(
        files_url(dataset),
        {"file": SimpleUploadedFile("results.csv", CSV), "sha256": "0" * 64},
        format="multipart",
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert CSV_SHA in response.json()["errors"]["sha256"][0]
    assert not DatasetFile.objects.exists()
    assert stored_files() == []


def test_a_malformed_checksum_is_a_400(coordinator, dataset):
    response = raw_post(client_for(coordinator), f"{files_url(dataset)}?sha256=abc", CSV)
    assert response.status_code == 400
    assert "sha256" in response.json()["errors"]


def test_an_oversized_upload_is_a_413_and_nothing_is_stored(
    coordinator, dataset, settings, stored_files
):
    settings.STRATUM_UPLOAD_MAX_BYTES = 20
    client = client_for(coordinator)
    multipart = client.post(
        files_url(dataset), {"file": SimpleUploadedFile("results.csv", CSV)}, format="multipart"
    )
    raw = raw_post(client, files_url(dataset), CSV)
    assert (multipart.status_code, raw.status_code) == (413, 413)
    assert raw["Content-Type"] == "application/problem+json"
    assert not DatasetFile.objects.exists()
    assert stored_files() == []


def test_a_declared_length_far_over_the_limit_is_refused_before_reading(
    coordinator, dataset, settings
):
    settings.STRATUM_UPLOAD_MAX_BYTES = 20
    response = raw_post(client_for(coordinator), files_url(dataset), CSV, CONTENT_LENGTH=str(10**9))
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("page.csv", b"<html><script>alert(1)</script></html>"),
        ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64),
        ("results.pdf", CSV),
    ],
)
def test_a_refused_type_is_a_415_and_nothing_is_stored(
    coordinator, dataset, stored_files, name, content
):
    response = raw_post(
        client_for(coordinator),
        files_url(dataset),
        content,
        name=name,
        content_type="application/octet-stream",
    )
    assert response.status_code == 415, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert not DatasetFile.objects.exists() and stored_files() == []


def test_a_raw_body_without_a_name_is_a_400(coordinator, dataset):
    response = raw_post(client_for(coordinator), files_url(dataset), CSV, name=None)
    assert response.status_code == 400
    assert "filename" in response.json()["errors"]


def test_a_raw_body_without_a_content_length_is_a_400(coordinator, dataset):
    response = raw_post(client_for(coordinator), files_url(dataset), CSV, CONTENT_LENGTH="")
    assert response.status_code == 400
    assert "Content-Length" in response.json()["errors"]["file"][0]
    assert not DatasetFile.objects.exists()


def test_a_multipart_body_without_a_file_is_a_400(coordinator, dataset):
    response = client_for(coordinator).post(
        files_url(dataset), {"sha256": CSV_SHA}, format="multipart"
    )
    assert response.status_code == 400
    assert "file" in response.json()["errors"]


def test_an_empty_file_is_a_400(coordinator, dataset):
    response = raw_post(client_for(coordinator), files_url(dataset), b"")
    assert response.status_code == 400
    assert "file" in response.json()["errors"]


def test_an_invisible_dataset_is_a_404_and_nothing_is_read(outsider, project, stored_files):
    project.summary_visibility = "members"
    project.save()
    draft = DatasetFactory(project=project, status="draft", published_at=None)
    response = raw_post(client_for(outsider), files_url(draft), CSV)
    assert response.status_code == 404
    assert stored_files() == []


def test_a_visible_dataset_the_caller_may_not_edit_is_a_403(outsider, project, stored_files):
    public = DatasetFactory(project=project, access_tier="public")
    response = raw_post(client_for(outsider), files_url(public), CSV)
    assert response.status_code == 403
    assert not DatasetFile.objects.exists() and stored_files() == []


def test_a_read_token_cannot_upload(coordinator, dataset):
    response = raw_post(client_for(coordinator, scopes=("read",)), files_url(dataset), CSV)
    assert response.status_code == 403
    assert not DatasetFile.objects.exists()


def test_a_stale_if_match_is_a_412_and_nothing_is_stored(coordinator, dataset, stored_files):
    response = raw_post(client_for(coordinator), files_url(dataset), CSV, HTTP_IF_MATCH='"stale"')
    assert response.status_code == 412
    assert not DatasetFile.objects.exists() and stored_files() == []


def test_a_retired_dataset_takes_no_files(coordinator, project):
    retired = DatasetFactory(project=project, status="retired")
    response = raw_post(client_for(coordinator), files_url(retired), CSV)
    assert response.status_code == 400
    assert not DatasetFile.objects.exists()


def test_a_signed_in_browser_uploads_with_its_csrf_token(client, coordinator, dataset):
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret

    client = type(client)(enforce_csrf_checks=True)
    client.force_login(coordinator)
    secret = _get_new_csrf_string()
    client.cookies["csrftoken"] = secret
    without = client.post(files_url(dataset), {"file": SimpleUploadedFile("a.csv", CSV)})
    assert without.status_code == 403
    response = client.post(
        files_url(dataset),
        {"file": SimpleUploadedFile("results.csv", CSV), "sha256": CSV_SHA},
        HTTP_X_CSRFTOKEN=_mask_cipher_secret(secret),
    )
    assert response.status_code == 201, response.content
    assert DatasetFile.objects.filter(dataset=dataset).count() == 1


# --- Protocol versions ---------------------------------------------------------------------------
def versions_url(protocol) -> str:
    return f"/api/v1/protocols/{protocol.pk}/versions/"


def test_a_contributor_uploads_a_protocol_version_as_multipart(partner_member, project):
    protocol = ProtocolFactory(project=project)
    ProtocolVersionFactory(protocol=protocol)
    response = client_for(partner_member).post(
        versions_url(protocol),
        {"file": SimpleUploadedFile("protocol.md", b"# Sampling\nv2\n"), "change_note": "v2"},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["number"], body["status"], body["change_note"]) == (2, "draft", "v2")
    assert body["protocol"] == str(protocol.pk)
    assert ProtocolVersion.objects.get(pk=body["id"]).file.read() == b"# Sampling\nv2\n"


def test_a_raw_protocol_version_takes_its_note_from_the_query(coordinator, project):
    protocol = ProtocolFactory(project=project)
    response = raw_post(
        client_for(coordinator),
        f"{versions_url(protocol)}?change_note=First+version",
        b"# Protocol\n",
        name="protocol.md",
        content_type="text/markdown",
    )
    assert response.status_code == 201, response.content
    assert response.json()["change_note"] == "First version"


def test_a_version_without_a_change_note_is_a_400_and_nothing_is_stored(
    coordinator, project, stored_files
):
    protocol = ProtocolFactory(project=project)
    response = raw_post(
        client_for(coordinator), versions_url(protocol), b"# Protocol\n", name="protocol.md"
    )
    assert response.status_code == 400
    assert "change_note" in response.json()["errors"]
    assert not ProtocolVersion.objects.exists() and stored_files() == []


def test_someone_who_cannot_contribute_gets_403_for_a_visible_protocol(outsider, project):
    protocol = ProtocolFactory(project=project, access_tier="public")
    response = raw_post(
        client_for(outsider), f"{versions_url(protocol)}?change_note=x", CSV, name="a.csv"
    )
    assert response.status_code == 403
    assert not ProtocolVersion.objects.exists()


def test_an_invisible_protocol_is_a_404(outsider, project):
    project.summary_visibility = "members"
    project.save()
    protocol = ProtocolFactory(project=project)
    response = raw_post(
        client_for(outsider), f"{versions_url(protocol)}?change_note=x", CSV, name="a.csv"
    )
    assert response.status_code == 404
