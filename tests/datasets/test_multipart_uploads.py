"""Resumable uploads of dataset files straight to object storage, against a real S3 HTTP API
(moto's server mode, tools/s3_server.py): parts go to the bucket with presigned URLs issued after a policy check,
an interrupted upload resumes from the parts stored, the SHA-256 is checked before the file
appears, and nothing is left behind once the sweep ran."""

import hashlib
import os
from datetime import timedelta

import pytest
import requests
from django.core.files.storage import default_storage
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.core import multipart
from apps.core.multipart import incomplete_uploads
from apps.core.sweeps import sweep_temporary_uploads
from apps.datasets.models import DatasetFile, DatasetFileUpload
from apps.datasets.multipart import dataset_file_upload_verify, dataset_file_verifications_due
from apps.datasets.tasks import requeue_verifications, verify_upload
from portal.celery import app as celery_app
from tests.api.conftest import client_for

PART = 5 * 1024**2
# Three parts: two of 5 MiB and a short last one; CSV so the type check accepts it.
CONTENT = b"sample_id,value\n" + b"S0001,12345\n" * ((2 * PART + 1000) // 12)
CONTENT_SHA = hashlib.sha256(CONTENT).hexdigest()


@pytest.fixture
def api(coordinator):
    return client_for(coordinator)


def start(api, dataset, *, content=CONTENT, sha=CONTENT_SHA, name="cohort.csv"):
    return api.post(
        "/api/v1/file-uploads/",
        {"dataset": str(dataset.pk), "file_name": name, "size": len(content), "sha256": sha},
        format="json",
    )


def send_parts(api, upload: dict, numbers, content=CONTENT) -> list[int]:
    """PUT each part straight to the bucket with its presigned URL; returns the parts sent."""
    sent = []
    for number in numbers:
        answer = api.post(f"/api/v1/file-uploads/{upload['id']}/parts/{number}/url/")
        assert answer.status_code == 200, answer.content
        offset = (number - 1) * upload["part_size"]
        body = content[offset : offset + upload["part_size"]]
        put = requests.put(answer.json()["url"], data=body, timeout=30)
        assert put.status_code == 200, put.text
        sent.append(number)
    return sent


def completed_large(api, dataset, settings, sha=CONTENT_SHA) -> dict:
    """An upload above the inline limit, every part sent, completed: `verifying` (202)."""
    settings.STRATUM_MULTIPART_VERIFY_INLINE_BYTES = PART
    upload = start(api, dataset, sha=sha).json()
    send_parts(api, upload, range(1, 4))
    assert api.post(f"/api/v1/file-uploads/{upload['id']}/complete/").status_code == 202
    return upload


@pytest.fixture
def queued_checks(monkeypatch) -> list[dict]:
    """The options of every `verify_upload` message sent (none reaches a broker)."""
    sent: list[dict] = []
    monkeypatch.setattr(verify_upload, "apply_async", lambda **options: sent.append(options))
    return sent


def leftovers(s3_storage, settings) -> dict:
    """Every temporary location an upload can use, and the bucket's incomplete uploads."""
    temp = settings.FILE_UPLOAD_TEMP_DIR
    return {
        "uploads-tmp": sorted(os.listdir(temp)) if os.path.isdir(temp) else [],
        "incomplete multipart": list(incomplete_uploads()),
        "open rows": list(
            DatasetFileUpload.objects.filter(status=DatasetFileUpload.Status.OPEN).values_list(
                "key", flat=True
            )
        ),
    }


def test_a_file_uploaded_in_parts_appears_once_its_sha256_is_checked(
    api, consortium_dataset, s3_storage, settings
):
    upload = start(api, consortium_dataset).json()
    assert upload["part_count"] == 3 and upload["parts"] == []

    send_parts(api, upload, range(1, 4))
    done = api.post(f"/api/v1/file-uploads/{upload['id']}/complete/")

    assert done.status_code == 201, done.content
    body = done.json()
    assert (body["sha256"], body["size"], body["content_type"]) == (
        CONTENT_SHA,
        len(CONTENT),
        "text/csv",
    )
    stored = DatasetFile.objects.get(pk=body["id"])
    assert default_storage.open(stored.file.name).read() == CONTENT
    assert AuditEvent.objects.filter(
        action="dataset.file.upload", target_id=str(stored.pk)
    ).exists()
    assert leftovers(s3_storage, settings) == {
        "uploads-tmp": [],
        "incomplete multipart": [],
        "open rows": [],
    }


def test_an_interrupted_upload_resumes_without_sending_stored_parts_again(
    api, consortium_dataset, s3_storage
):
    upload = start(api, consortium_dataset).json()
    send_parts(api, upload, [1])  # then the connection was cut

    resumed = api.get(f"/api/v1/file-uploads/{upload['id']}/").json()  # a new connection
    stored = {part["number"] for part in resumed["parts"]}
    assert stored == {1}
    sent = send_parts(api, resumed, [n for n in range(1, 4) if n not in stored])

    assert sent == [2, 3]
    assert api.post(f"/api/v1/file-uploads/{upload['id']}/complete/").status_code == 201


def test_completing_with_parts_missing_is_a_400_and_the_upload_stays_resumable(
    api, consortium_dataset, s3_storage
):
    upload = start(api, consortium_dataset).json()
    send_parts(api, upload, [1, 3])
    answer = api.post(f"/api/v1/file-uploads/{upload['id']}/complete/")
    assert answer.status_code == 400
    assert "1 part(s) are missing" in answer.content.decode()
    assert DatasetFileUpload.objects.get(pk=upload["id"]).status == "open"
    send_parts(api, upload, [2])
    assert api.post(f"/api/v1/file-uploads/{upload['id']}/complete/").status_code == 201


def test_a_wrong_sha256_is_a_400_and_nothing_is_kept(api, consortium_dataset, s3_storage, settings):
    upload = start(api, consortium_dataset, sha="0" * 64).json()
    send_parts(api, upload, range(1, 4))
    answer = api.post(f"/api/v1/file-uploads/{upload['id']}/complete/")
    assert answer.status_code == 400
    assert f"has SHA-256 {CONTENT_SHA}" in answer.content.decode()
    assert not DatasetFile.objects.exists()
    assert s3_storage.list_objects_v2(Bucket=s3_storage.bucket).get("KeyCount") == 0
    assert leftovers(s3_storage, settings)["incomplete multipart"] == []


def test_a_file_over_the_inline_limit_is_checked_by_a_worker_while_the_client_polls(
    api, consortium_dataset, s3_storage, settings, django_capture_on_commit_callbacks
):
    """Reading a 20 GiB file for its SHA-256 outlasts any request behind a proxy: above
    STRATUM_MULTIPART_VERIFY_INLINE_BYTES `complete` answers 202 and a task does the check."""
    settings.STRATUM_MULTIPART_VERIFY_INLINE_BYTES = PART
    upload = start(api, consortium_dataset).json()
    send_parts(api, upload, range(1, 4))

    with django_capture_on_commit_callbacks() as queued:
        answer = api.post(f"/api/v1/file-uploads/{upload['id']}/complete/")
    assert answer.status_code == 202, answer.content
    assert answer.json()["status"] == "verifying" and answer.json()["file"] is None
    assert answer["Location"] == answer.json()["url"]
    assert len(queued) == 1 and not DatasetFile.objects.exists()
    polled = api.get(answer["Location"]).json()
    assert (polled["status"], polled["parts"]) == ("verifying", [])
    with django_capture_on_commit_callbacks() as queued_again:
        again = api.post(f"/api/v1/file-uploads/{upload['id']}/complete/")  # the 202 was lost
    assert (again.status_code, again.json()["status"], queued_again) == (202, "verifying", [])

    verify_upload(upload["id"])  # what the worker runs

    polled = api.get(answer["Location"]).json()
    assert (polled["status"], polled["error"]) == ("completed", "")
    stored = api.get(polled["file"]).json()
    assert stored["sha256"] == CONTENT_SHA and stored["size"] == len(CONTENT)
    assert default_storage.open(DatasetFile.objects.get().file.name).read() == CONTENT
    assert leftovers(s3_storage, settings)["incomplete multipart"] == []


def test_a_large_file_with_a_wrong_sha256_is_refused_by_the_worker_and_the_upload_says_why(
    api, consortium_dataset, s3_storage, settings
):
    upload = completed_large(api, consortium_dataset, settings, sha="0" * 64)

    verify_upload(upload["id"])

    polled = api.get(f"/api/v1/file-uploads/{upload['id']}/").json()
    assert polled["status"] == "aborted" and f"has SHA-256 {CONTENT_SHA}" in polled["error"]
    assert not DatasetFile.objects.exists()
    assert s3_storage.list_objects_v2(Bucket=s3_storage.bucket).get("KeyCount") == 0


def test_a_verification_cut_after_the_bucket_assembled_the_file_finishes_when_queued_again(
    api, consortium_dataset, s3_storage, settings
):
    """A worker killed mid-check leaves the upload `verifying` with its claim running: a second
    delivery meanwhile does nothing; once the claim expired the upload is due again, and the
    next run finds the object assembled (the upload gone from the bucket) and checks it."""
    upload = completed_large(api, consortium_dataset, settings)
    row = DatasetFileUpload.objects.get(pk=upload["id"])
    parts = multipart.stored_parts(row.key, row.upload_id)
    multipart.complete(row.key, row.upload_id, parts)  # then the worker died
    claim = timezone.now() + timedelta(minutes=5)
    DatasetFileUpload.objects.filter(pk=row.pk).update(verify_claimed_until=claim)

    assert dataset_file_upload_verify(upload_id=row.pk) is None  # claimed: nothing done
    assert dataset_file_verifications_due() == []
    DatasetFileUpload.objects.filter(pk=row.pk).update(
        verify_claimed_until=timezone.now() - timedelta(seconds=1)
    )
    assert dataset_file_verifications_due() == [row.pk]

    stored = dataset_file_upload_verify(upload_id=row.pk)

    assert stored is not None and stored.sha256 == CONTENT_SHA
    assert DatasetFileUpload.objects.get(pk=row.pk).status == "completed"
    assert dataset_file_verifications_due() == []


def test_the_beat_job_queues_a_lost_verification_again_with_time_limits_for_its_size(
    api, consortium_dataset, s3_storage, settings, queued_checks, django_capture_on_commit_callbacks
):
    upload = completed_large(api, consortium_dataset, settings)
    DatasetFileUpload.objects.filter(pk=upload["id"]).update(
        updated_at=timezone.now() - timedelta(minutes=11)  # the message was lost
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_verifications() == 1

    seconds = 300 + len(CONTENT) // (20 * 1024**2)
    assert queued_checks == [
        {"args": [upload["id"]], "soft_time_limit": seconds, "time_limit": seconds + 60}
    ]


def test_a_verification_failing_for_a_day_is_given_up_and_nothing_is_kept(
    api, consortium_dataset, s3_storage, settings, queued_checks
):
    upload = completed_large(api, consortium_dataset, settings)
    DatasetFileUpload.objects.filter(pk=upload["id"]).update(
        updated_at=timezone.now() - timedelta(seconds=settings.STRATUM_MULTIPART_ORPHAN_AGE + 1)
    )

    assert requeue_verifications() == 0

    polled = api.get(f"/api/v1/file-uploads/{upload['id']}/").json()
    assert polled["status"] == "aborted" and "within a day" in polled["error"]
    assert queued_checks == [] and list(incomplete_uploads()) == []
    assert s3_storage.list_objects_v2(Bucket=s3_storage.bucket).get("KeyCount") == 0


def test_a_refused_type_is_a_415_and_nothing_is_kept(api, consortium_dataset, s3_storage):
    html = b"<html><script>alert(1)</script></html>" + b" " * (PART + 10)
    upload = start(
        api, consortium_dataset, content=html, sha=hashlib.sha256(html).hexdigest(), name="a.txt"
    ).json()
    send_parts(api, upload, [1, 2], content=html)
    assert api.post(f"/api/v1/file-uploads/{upload['id']}/complete/").status_code == 415
    assert s3_storage.list_objects_v2(Bucket=s3_storage.bucket).get("KeyCount") == 0


def test_the_size_limit_is_a_setting_of_the_deployment(
    api, consortium_dataset, s3_storage, settings
):
    assert settings.STRATUM_MULTIPART_MAX_BYTES == 200 * 1024**3  # the default
    settings.STRATUM_MULTIPART_MAX_BYTES = len(CONTENT) - 1
    answer = start(api, consortium_dataset)
    assert answer.status_code == 400
    assert "larger than" in answer.json()["errors"]["size"][0]
    assert list(incomplete_uploads()) == []


def test_an_unusable_name_is_a_400_before_anything_is_created(api, consortium_dataset, s3_storage):
    answer = start(api, consortium_dataset, name="../..")
    assert answer.status_code == 400
    assert list(incomplete_uploads()) == [] and not DatasetFileUpload.objects.exists()


def test_outsiders_get_404_and_viewers_403_and_uploads_are_their_starters_only(
    api, consortium_dataset, s3_storage, outsider, partner_member, coordinator
):
    assert start(client_for(outsider), consortium_dataset).status_code == 404
    upload = start(api, consortium_dataset).json()
    other = client_for(outsider)
    assert other.get(f"/api/v1/file-uploads/{upload['id']}/").status_code == 404
    assert other.post(f"/api/v1/file-uploads/{upload['id']}/parts/1/url/").status_code == 404
    read_only = client_for(coordinator, scopes=("read",))
    assert read_only.post(f"/api/v1/file-uploads/{upload['id']}/parts/1/url/").status_code == 403


def test_a_part_url_is_refused_once_the_uploader_lost_the_right_to_edit(
    api, consortium_dataset, s3_storage, coordinator
):
    upload = start(api, consortium_dataset).json()
    coordinator.memberships.update(ended_at="2026-01-01T00:00:00Z")
    coordinator.affiliations.update(ended_at="2026-01-01T00:00:00Z")
    answer = api.post(f"/api/v1/file-uploads/{upload['id']}/parts/1/url/")
    assert answer.status_code in (403, 404)
    assert "url" not in answer.json()


def test_an_abandoned_upload_leaves_nothing_once_the_sweep_ran(
    api, consortium_dataset, s3_storage, settings
):
    """A cut connection (or a client killed) mid-upload: parts in the bucket, an open row.
    The sweep (here with age 0) aborts both; the test lists every temporary location."""
    upload = start(api, consortium_dataset).json()
    send_parts(api, upload, [1])
    before = leftovers(s3_storage, settings)
    assert len(before["incomplete multipart"]) == 1 and len(before["open rows"]) == 1

    from datetime import timedelta

    removed = sweep_temporary_uploads(older_than=timedelta(0))

    assert sum(len(paths) for paths in removed.values()) >= 1
    assert leftovers(s3_storage, settings) == {
        "uploads-tmp": [],
        "incomplete multipart": [],
        "open rows": [],
    }
    assert api.get(f"/api/v1/file-uploads/{upload['id']}/").json()["status"] == "aborted"


def test_a_multipart_upload_with_no_row_is_aborted_by_the_bucket_sweep(s3_storage, db):
    from datetime import timedelta

    s3_storage.create_multipart_upload(Bucket=s3_storage.bucket, Key="protected/x/orphan")
    assert len(list(incomplete_uploads())) == 1
    removed = sweep_temporary_uploads(older_than=timedelta(0))
    assert len(removed["s3-incomplete-multipart"]) == 1
    assert list(incomplete_uploads()) == []


def test_a_download_is_a_short_lived_presigned_url_after_the_policy_check_and_ranges_work(
    api, consortium_dataset, s3_storage, partner_member, outsider
):
    upload = start(api, consortium_dataset).json()
    send_parts(api, upload, range(1, 4))
    file_id = api.post(f"/api/v1/file-uploads/{upload['id']}/complete/").json()["id"]

    url = f"/api/v1/dataset-files/{file_id}/download/"
    assert client_for(outsider).get(url).status_code == 404
    answer = client_for(partner_member).get(url)
    assert answer.status_code == 302
    location = answer["Location"]
    assert "X-Amz-Expires=900" in location  # 15 minutes (STRATUM_PRESIGN_SECONDS)
    ranged = requests.get(location, headers={"Range": "bytes=100-199"}, timeout=30)
    assert ranged.status_code == 206 and ranged.content == CONTENT[100:200]
    assert AuditEvent.objects.filter(
        action="dataset.file.download", target_id=file_id, actor=partner_member
    ).exists()


@pytest.mark.slow
def test_the_example_client_resumes_after_a_cut_connection_without_resending_stored_parts(
    live_server, transactional_db, coordinator, consortium_dataset, s3_storage, tmp_path
):
    """docs/sync_client.py against a live server and the local S3 server: the connection is
    cut after the first part; run again, it sends only the parts the bucket lacks."""
    from tests.api.conftest import token_for
    from tests.api.test_sync_client import _load

    client = _load()
    path = tmp_path / "cohort.csv"
    path.write_bytes(CONTENT)
    token = token_for(coordinator)
    state = str(tmp_path / "cohort.csv.stratum-upload")
    sent: list[int] = []

    def cut_after_first(number):
        sent.append(number)
        if len(sent) == 1:
            raise ConnectionResetError("connection cut")

    source = client.FileSource(str(path))
    with pytest.raises(ConnectionResetError):
        client.upload_resumable(
            live_server.url, token, str(consortium_dataset.pk), source, state, cut_after_first
        )
    stored = client.upload_resumable(
        live_server.url, token, str(consortium_dataset.pk), source, state, sent.append
    )

    assert sent == [1, 2, 3]  # part 1 once, before the cut; 2 and 3 after resuming
    assert stored["sha256"] == CONTENT_SHA and stored["size"] == len(CONTENT)
    assert default_storage.open(DatasetFile.objects.get().file.name).read() == CONTENT
    assert list(incomplete_uploads()) == []
    assert not os.path.exists(state)


@pytest.mark.slow
def test_the_example_client_waits_while_a_worker_checks_a_large_file(
    live_server, transactional_db, coordinator, consortium_dataset, s3_storage, settings, tmp_path
):
    """Above the inline limit the client gets 202 and polls the upload until the worker (run
    eagerly here) has checked the file; it returns the stored file as for a small one."""
    from tests.api.conftest import token_for
    from tests.api.test_sync_client import _load

    settings.STRATUM_MULTIPART_VERIFY_INLINE_BYTES = PART
    client = _load()
    path = tmp_path / "cohort.csv"
    path.write_bytes(CONTENT)
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        stored = client.upload_resumable(
            live_server.url,
            token_for(coordinator),
            str(consortium_dataset.pk),
            client.FileSource(str(path)),
            str(tmp_path / "state"),
            poll_seconds=0.1,
        )
    finally:
        celery_app.conf.task_always_eager = previous

    assert stored["sha256"] == CONTENT_SHA and stored["id"] == str(DatasetFile.objects.get().pk)
    assert DatasetFileUpload.objects.get().status == "completed"


def test_on_object_storage_the_upload_page_may_reach_the_bucket_and_takes_200_gib(
    client, coordinator, consortium_dataset, s3_storage, s3_server
):
    client.force_login(coordinator)
    response = client.get(f"/datasets/{consortium_dataset.pk}/files/upload/")
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    connect = next(d for d in policy.split(";") if d.strip().startswith("connect-src"))
    assert connect.split()[1:] == ["'self'", s3_server]
    assert f'data-max-bytes="{200 * 1024**3}"' in response.content.decode()
