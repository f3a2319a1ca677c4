"""Uploading dataset files: streamed, hashed, sniffed; a refused or broken upload leaves nothing."""

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.datasets.models import DatasetFile
from tests.datasets.conftest import CSV_BYTES


def upload_url(dataset):
    return reverse("datasets:file_upload", kwargs={"pk": dataset.pk})


def post_file(client, dataset, name="results.csv", content=CSV_BYTES):
    return client.post(upload_url(dataset), {"file": SimpleUploadedFile(name, content)})


def test_contributor_uploads_a_file_and_sees_its_sha256(client, partner_member, consortium_dataset):
    client.force_login(partner_member)
    response = post_file(client, consortium_dataset)
    assert response.status_code == 302
    stored = DatasetFile.objects.get(dataset=consortium_dataset)
    digest = hashlib.sha256(CSV_BYTES).hexdigest()
    assert (stored.file_name, stored.sha256, stored.size) == ("results.csv", digest, len(CSV_BYTES))
    assert stored.content_type == "text/csv"
    assert stored.file.name == f"protected/datasets.datasetfile/{stored.pk}"
    assert stored.file.read() == CSV_BYTES
    page = client.get(reverse("datasets:detail", kwargs={"pk": consortium_dataset.pk}))
    assert digest in page.content.decode()
    assert AuditEvent.objects.filter(
        action="dataset.file.upload", target_id=str(stored.pk)
    ).exists()


def test_upload_form_renders_with_the_resumable_uploader_and_a_plain_post_fallback(
    client, partner_member, consortium_dataset
):
    client.force_login(partner_member)
    response = client.get(upload_url(consortium_dataset))
    assert response.status_code == 200
    html = response.content.decode()
    assert "data-resumable-upload" in html and "js/resumable-upload.js" in html
    assert "vendor/uppy-6.0.1/uppy.min.js" in html
    assert 'data-max-bytes="2147483648"' in html  # through the server on local storage
    assert 'enctype="multipart/form-data"' in html  # without JavaScript the form still posts
    assert "connect-src 'self';" in response["Content-Security-Policy"] + ";"


def test_client_declared_content_type_is_ignored(client, partner_member, consortium_dataset):
    client.force_login(partner_member)
    upload = SimpleUploadedFile("results.csv", CSV_BYTES, content_type="text/html")
    client.post(upload_url(consortium_dataset), {"file": upload})
    assert DatasetFile.objects.get().content_type == "text/csv"


def test_upload_over_the_limit_is_refused_with_413_and_leaves_nothing(
    client, settings, partner_member, consortium_dataset, stored_files
):
    settings.STRATUM_UPLOAD_MAX_BYTES = 1024
    client.force_login(partner_member)
    response = post_file(client, consortium_dataset, content=b"a,b\n" + b"1,2\n" * 2000)
    assert response.status_code == 413
    assert "larger than the 1.0\xa0KB limit" in response.content.decode()
    assert not DatasetFile.objects.exists()
    assert stored_files() == []


def test_declared_body_far_over_the_limit_is_refused_before_reading(
    client, settings, partner_member, consortium_dataset, stored_files
):
    settings.STRATUM_UPLOAD_MAX_BYTES = 1024
    client.force_login(partner_member)
    response = post_file(client, consortium_dataset, content=b"a,b\n" + b"1,2\n" * 100_000)
    assert response.status_code == 413
    assert not DatasetFile.objects.exists()
    assert stored_files() == []


def test_path_traversal_name_leaves_no_row_and_no_file(
    client, partner_member, consortium_dataset, stored_files, tmp_path
):
    client.force_login(partner_member)
    response = post_file(
        client,
        consortium_dataset,
        name="../../etc/passwd",
        content=b"root:x:0:0:root:/root:/bin/bash\n",
    )
    assert response.status_code == 400
    assert "not accepted" in response.content.decode()
    assert not DatasetFile.objects.exists()
    assert stored_files() == []


def test_path_in_an_accepted_name_is_stripped_and_stored_under_the_row_id(
    client, partner_member, consortium_dataset
):
    client.force_login(partner_member)
    post_file(client, consortium_dataset, name="../../etc/results.csv")
    stored = DatasetFile.objects.get()
    assert stored.file_name == "results.csv"
    assert stored.file.name == f"protected/datasets.datasetfile/{stored.pk}"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("page.html", b"<!doctype html><script>alert(1)</script>"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>'),
        ("tool.csv", b"MZ\x90\x00" + b"\x00" * 100),
        ("empty.csv", b""),
    ],
)
def test_refused_content_gets_a_form_error_and_leaves_nothing(
    client, partner_member, consortium_dataset, stored_files, name, content
):
    client.force_login(partner_member)
    response = post_file(client, consortium_dataset, name=name, content=content)
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert not DatasetFile.objects.exists()
    assert stored_files() == []


def test_missing_file_is_a_form_error(client, partner_member, consortium_dataset):
    client.force_login(partner_member)
    response = client.post(upload_url(consortium_dataset), {})
    assert response.status_code == 400
    assert not DatasetFile.objects.exists()


class BrokenStream:
    """A request body that stops after `fail_after` bytes: raising (a reset connection) or
    returning nothing more (a body shorter than its Content-Length)."""

    def __init__(self, body: bytes, fail_after: int, *, raise_error: bool):
        self.stream = io.BytesIO(body)
        self.fail_after = fail_after
        self.raise_error = raise_error

    def read(self, size=-1):
        remaining = self.fail_after - self.stream.tell()
        if remaining <= 0:
            if self.raise_error:
                raise ConnectionResetError("client went away")
            return b""
        if size is None or size < 0 or size > remaining:
            size = remaining
        return self.stream.read(size)

    def readline(self, size=-1):
        return self.read(size)


def post_broken_body(client, path, *, raise_error: bool):
    content = b"sample,value\n" + b"S1,1\n" * 50_000
    body = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile("cut.csv", content)})
    environ = client._base_environ(
        REQUEST_METHOD="POST",
        PATH_INFO=path,
        CONTENT_TYPE=MULTIPART_CONTENT,
        CONTENT_LENGTH=str(len(body)),
    )
    environ["wsgi.input"] = BrokenStream(body, len(body) // 2, raise_error=raise_error)
    return client.handler(environ)


@pytest.mark.parametrize("raise_error", [True, False], ids=["connection-reset", "short-body"])
def test_connection_cut_mid_upload_leaves_no_row_and_no_file(
    client, partner_member, consortium_dataset, stored_files, raise_error
):
    client.force_login(partner_member)
    response = post_broken_body(client, upload_url(consortium_dataset), raise_error=raise_error)
    assert response.status_code == 400
    assert not DatasetFile.objects.exists()
    assert stored_files() == []


def test_storage_failure_after_the_write_removes_the_stored_file(
    client, partner_member, consortium_dataset, stored_files, monkeypatch
):
    from apps.datasets import services

    def broken_audit(**kwargs):
        raise RuntimeError("audit table unavailable")

    monkeypatch.setattr(services, "audit_record", broken_audit)
    with pytest.raises(RuntimeError):
        services.dataset_file_add(
            dataset=consortium_dataset,
            actor=partner_member,
            upload=SimpleUploadedFile("results.csv", CSV_BYTES),
        )
    assert not DatasetFile.objects.exists()
    assert stored_files() == []


def test_upload_still_checks_csrf(partner_member, consortium_dataset):
    client = Client(enforce_csrf_checks=True)
    client.force_login(partner_member)
    response = post_file(client, consortium_dataset)
    assert response.status_code == 403
    assert not DatasetFile.objects.exists()


def test_anonymous_upload_is_sent_to_sign_in(client, consortium_dataset):
    response = post_file(client, consortium_dataset)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert not DatasetFile.objects.exists()


def test_outsider_upload_gets_404(client, outsider, consortium_dataset):
    client.force_login(outsider)
    assert post_file(client, consortium_dataset).status_code == 404
    assert not DatasetFile.objects.exists()


def test_partner_colleague_without_edit_rights_gets_403(
    client, partner_org_colleague, consortium_dataset
):
    client.force_login(partner_org_colleague)
    assert client.get(upload_url(consortium_dataset)).status_code == 403
    assert post_file(client, consortium_dataset).status_code == 403
    assert not DatasetFile.objects.exists()


@pytest.mark.parametrize("raise_error", [True, False], ids=["connection-reset", "short-body"])
def test_cut_upload_says_it_was_interrupted(
    client, partner_member, consortium_dataset, raise_error
):
    client.force_login(partner_member)
    response = post_broken_body(client, upload_url(consortium_dataset), raise_error=raise_error)
    assert "The upload was interrupted" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_client_disconnecting_from_a_real_server_mid_body_leaves_nothing(
    live_server, partner_member, consortium_dataset, stored_files, caplog
):
    """A real socket to the live server: headers promise the whole body, half is sent, then
    the client hangs up."""
    import logging
    import socket
    import time
    from urllib.parse import urlparse

    from django.test import Client

    csrf_secret = "a" * 32  # an unmasked secret is a valid token
    helper = Client()
    helper.force_login(partner_member)
    session = helper.cookies["sessionid"].value
    content = b"sample,value\n" + b"S1,1\n" * 200_000
    body = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile("cut.csv", content)})
    address = urlparse(live_server.url)
    head = (
        f"POST {upload_url(consortium_dataset)} HTTP/1.1\r\n"
        f"Host: {address.hostname}:{address.port}\r\n"
        f"Cookie: sessionid={session}; csrftoken={csrf_secret}\r\n"
        f"X-CSRFToken: {csrf_secret}\r\n"
        f"Content-Type: {MULTIPART_CONTENT}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    caplog.set_level(logging.WARNING, logger="apps.core.uploads")
    with socket.create_connection((address.hostname, address.port)) as connection:
        connection.sendall(head + body[: len(body) // 2])
        time.sleep(0.3)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and "Upload" not in caplog.text:
        time.sleep(0.1)
    assert "interrupted" in caplog.text
    assert not DatasetFile.objects.exists()
    assert stored_files() == []


def test_declared_oversize_body_gets_413_before_the_csrf_check_reads_it(
    settings, partner_member, consortium_dataset, stored_files
):
    settings.STRATUM_UPLOAD_MAX_BYTES = 1024
    client = Client(enforce_csrf_checks=True)
    client.force_login(partner_member)
    response = post_file(client, consortium_dataset, content=b"a,b\n" + b"1,2\n" * 100_000)
    assert response.status_code == 413
    assert "larger than the 1.0\xa0KB limit" in response.content.decode()
    assert not DatasetFile.objects.exists()
    assert stored_files() == []


def test_oversize_protocol_uploads_get_413(client, settings, partner_member, project):
    from apps.documents.models import Protocol
    from tests.documents.factories import ProtocolFactory

    settings.STRATUM_UPLOAD_MAX_BYTES = 1024
    client.force_login(partner_member)
    big = SimpleUploadedFile("sop.pdf", b"%PDF-1.7\n" + b"x" * 400_000)
    create = reverse("documents:create", kwargs={"project_pk": project.pk})
    assert (
        client.post(
            create, {"title": "SOP", "access_tier": "consortium", "change_note": "v1", "file": big}
        ).status_code
        == 413
    )
    assert not Protocol.objects.exists()
    protocol = ProtocolFactory(project=project)
    big.seek(0)
    upload = reverse("documents:version_upload", kwargs={"pk": protocol.pk})
    assert client.post(upload, {"change_note": "v1", "file": big}).status_code == 413
    assert not protocol.versions.exists()


def test_cut_connection_during_the_csrf_check_leaves_no_temporary_file(
    partner_member, consortium_dataset, stored_files
):
    client = Client(enforce_csrf_checks=True)
    client.force_login(partner_member)
    client.cookies["csrftoken"] = "b" * 32
    content = b"sample,value\n" + b"S1,1\n" * 50_000
    body = encode_multipart(
        BOUNDARY, {"csrfmiddlewaretoken": "b" * 32, "file": SimpleUploadedFile("cut.csv", content)}
    )
    environ = client._base_environ(
        REQUEST_METHOD="POST",
        PATH_INFO=upload_url(consortium_dataset),
        CONTENT_TYPE=MULTIPART_CONTENT,
        CONTENT_LENGTH=str(len(body)),
    )
    environ["wsgi.input"] = BrokenStream(body, len(body) // 2, raise_error=True)
    response = client.handler(environ)
    assert response.status_code in (400, 403)
    assert not DatasetFile.objects.exists()
    assert stored_files() == []
