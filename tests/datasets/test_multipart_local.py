"""On local file storage (`make run`) the same resumable-upload protocol is served by Django:
part URLs point at this server, parts wait on disk under STRATUM_MULTIPART_LOCAL_DIR, completing
assembles them and checks the SHA-256 before the file appears, and the sweep removes what an
abandoned upload left. The browser's uploader (Uppy) reaches the same services through the
Companion-shaped views of apps/datasets/resumable_views.py."""

import os
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.core.files.storage import default_storage
from django.test import Client

from apps.audit.models import AuditEvent
from apps.core import multipart
from apps.core.sweeps import sweep_temporary_uploads
from apps.datasets.models import DatasetFile, DatasetFileUpload
from apps.datasets.tasks import verify_upload
from tests.api.conftest import client_for
from tests.datasets.test_multipart_uploads import CONTENT, CONTENT_SHA, PART, start


@pytest.fixture
def api(coordinator, settings):
    settings.STRATUM_MULTIPART_PART_BYTES = PART
    return client_for(coordinator)


def put_part(client, url: str, body: bytes):
    return client.generic("PUT", urlsplit(url).path, body, content_type="application/octet-stream")


def send_parts(api, upload: dict, numbers, content=CONTENT) -> list[int]:
    sent = []
    for number in numbers:
        answer = api.post(f"/api/v1/file-uploads/{upload['id']}/parts/{number}/url/")
        assert answer.status_code == 200, answer.content
        offset = (number - 1) * upload["part_size"]
        put = put_part(api, answer.json()["url"], content[offset : offset + upload["part_size"]])
        assert put.status_code == 200, put.content
        assert put["ETag"].startswith('"')
        sent.append(number)
    return sent


def leftovers(settings) -> dict:
    temp, parts = settings.FILE_UPLOAD_TEMP_DIR, settings.STRATUM_MULTIPART_LOCAL_DIR
    return {
        "uploads-tmp": sorted(os.listdir(temp)) if os.path.isdir(temp) else [],
        "local parts": sorted(os.listdir(parts)) if os.path.isdir(parts) else [],
        "incomplete multipart": list(multipart.incomplete_uploads()),
        "open rows": list(
            DatasetFileUpload.objects.filter(status=DatasetFileUpload.Status.OPEN).values_list(
                "key", flat=True
            )
        ),
    }


NOTHING_LEFT = {"uploads-tmp": [], "local parts": [], "incomplete multipart": [], "open rows": []}


def test_on_local_storage_a_file_sent_in_parts_to_the_server_appears_once_its_sha256_is_checked(
    api, consortium_dataset, settings
):
    upload = start(api, consortium_dataset).json()
    assert upload["part_count"] == 3

    send_parts(api, upload, range(1, 4))
    done = api.post(f"/api/v1/file-uploads/{upload['id']}/complete/")

    assert done.status_code == 201, done.content
    stored = DatasetFile.objects.get(pk=done.json()["id"])
    assert (stored.sha256, stored.size) == (CONTENT_SHA, len(CONTENT))
    assert default_storage.open(stored.file.name).read() == CONTENT
    event = AuditEvent.objects.get(action="dataset.file.upload", target_id=str(stored.pk))
    assert event.details["multipart"] is True and event.details["sha256"] == CONTENT_SHA
    assert leftovers(settings) == NOTHING_LEFT


def test_on_local_storage_an_interrupted_upload_resumes_from_the_parts_on_disk(
    api, consortium_dataset
):
    upload = start(api, consortium_dataset).json()
    send_parts(api, upload, [1])  # then the connection was cut

    resumed = api.get(f"/api/v1/file-uploads/{upload['id']}/").json()
    stored = {part["number"] for part in resumed["parts"]}
    assert stored == {1}
    assert send_parts(api, resumed, [n for n in (1, 2, 3) if n not in stored]) == [2, 3]
    assert api.post(f"/api/v1/file-uploads/{upload['id']}/complete/").status_code == 201


def test_on_local_storage_a_wrong_sha256_is_a_400_and_nothing_is_kept(
    api, consortium_dataset, settings, stored_files
):
    upload = start(api, consortium_dataset, sha="0" * 64).json()
    send_parts(api, upload, range(1, 4))
    answer = api.post(f"/api/v1/file-uploads/{upload['id']}/complete/")
    assert answer.status_code == 400
    assert f"has SHA-256 {CONTENT_SHA}" in answer.content.decode()
    assert not DatasetFile.objects.exists()
    assert stored_files() == []
    assert leftovers(settings) == NOTHING_LEFT


def test_on_local_storage_a_large_file_is_assembled_and_checked_by_the_worker(
    api, consortium_dataset, settings
):
    settings.STRATUM_MULTIPART_VERIFY_INLINE_BYTES = PART
    upload = start(api, consortium_dataset).json()
    send_parts(api, upload, range(1, 4))
    answer = api.post(f"/api/v1/file-uploads/{upload['id']}/complete/")
    assert answer.status_code == 202 and answer.json()["status"] == "verifying"
    assert not DatasetFile.objects.exists()

    verify_upload(upload["id"])

    polled = api.get(answer["Location"]).json()
    assert polled["status"] == "completed"
    stored = DatasetFile.objects.get()
    assert polled["file"].endswith(f"/api/v1/dataset-files/{stored.pk}/")
    assert default_storage.open(stored.file.name).read() == CONTENT
    assert leftovers(settings) == NOTHING_LEFT


def test_on_local_storage_the_limit_is_the_through_the_server_one(
    api, consortium_dataset, settings
):
    assert settings.STRATUM_UPLOAD_MAX_BYTES == 2 * 1024**3  # the default
    settings.STRATUM_UPLOAD_MAX_BYTES = len(CONTENT) - 1
    answer = start(api, consortium_dataset)
    assert answer.status_code == 400
    assert "larger than" in answer.json()["errors"]["size"][0]
    assert leftovers(settings) == NOTHING_LEFT


def test_a_local_part_url_is_a_short_lived_credential_for_one_part_only(
    api, consortium_dataset, settings
):
    upload = start(api, consortium_dataset).json()
    url = api.post(f"/api/v1/file-uploads/{upload['id']}/parts/1/url/").json()["url"]
    # Like a presigned S3 URL it needs no cookie: a client without a session may use it.
    assert put_part(Client(), url, CONTENT[:PART]).status_code == 200

    forged = "/uploads/parts/" + signing.dumps({"u": "0" * 32, "n": 1}, salt="other") + "/"
    assert put_part(api, forged, b"x").status_code == 403
    settings.STRATUM_PRESIGN_SECONDS = -1  # every URL issued so far has expired
    answer = put_part(api, url, CONTENT[:PART])
    assert answer.status_code == 403 and b"expired" in answer.content
    settings.STRATUM_PRESIGN_SECONDS = 900
    assert put_part(api, url, b"x" * (PART * 2 + 1)).status_code == 413

    api.delete(f"/api/v1/file-uploads/{upload['id']}/")
    answer = put_part(api, url, CONTENT[:PART])
    assert answer.status_code == 404 and b"start a new one" in answer.content
    assert leftovers(settings) == NOTHING_LEFT


def test_on_local_storage_an_abandoned_upload_leaves_nothing_once_the_sweep_ran(
    api, consortium_dataset, settings
):
    upload = start(api, consortium_dataset).json()
    send_parts(api, upload, [1])
    before = leftovers(settings)
    assert len(before["local parts"]) == 1 and len(before["open rows"]) == 1

    sweep_temporary_uploads(older_than=timedelta(0))

    assert leftovers(settings) == NOTHING_LEFT


def test_a_part_folder_with_no_row_is_removed_by_the_sweep(settings, db):
    upload_id = multipart.start("protected/x/orphan")
    multipart.local_store_part(upload_id, 1, _Stream(b"abc"), 3)
    assert [u[1] for u in multipart.incomplete_uploads()] == [upload_id]
    removed = sweep_temporary_uploads(older_than=timedelta(0))
    assert len(removed["s3-incomplete-multipart"]) == 1
    assert leftovers(settings) == NOTHING_LEFT


class _Stream:
    def __init__(self, data: bytes):
        self.data = data

    def read(self, size: int) -> bytes:
        chunk, self.data = self.data[:size], self.data[size:]
        return chunk


def test_the_browser_uploader_resumes_through_companion_shaped_views_of_the_same_services(
    api, consortium_dataset, coordinator, outsider, client
):
    """Uppy's AwsS3 plugin asks `<endpoint>/s3/multipart/{id}…`: the stored parts, a part URL,
    complete and abort. Only reads and part URLs are served; changes go through the API."""
    upload = start(api, consortium_dataset).json()
    send_parts(api, upload, [1])
    base = f"/datasets/file-uploads/uppy/s3/multipart/{upload['id']}"
    client.force_login(coordinator)

    listed = client.get(f"{base}?key={upload['id']}")
    assert [part["PartNumber"] for part in listed.json()] == [1]
    url = client.get(f"{base}/2?key={upload['id']}").json()["url"]
    assert put_part(client, url, CONTENT[PART : 2 * PART]).status_code == 200
    assert client.post(f"{base}/complete?key=x").status_code == 400  # part 3 is missing
    assert client.delete(f"{base}?key=x").status_code == 204
    assert DatasetFileUpload.objects.get(pk=upload["id"]).status == "open"  # nothing changed
    assert client.post("/datasets/file-uploads/uppy/s3/multipart").status_code == 400

    client.force_login(outsider)
    assert client.get(f"{base}?key=x").status_code == 404
    assert client.get(f"{base}/3?key=x").status_code == 404
