"""The dataset upload page in a real browser under the strict CSP: the file goes in parts with
the vendored Uppy (AwsS3 plugin) to the URLs the server issues, survives a page reload mid-way
by resuming from the parts already stored, and appears on the dataset page once the server has
checked its SHA-256. Local file storage here (`make run`): the part URLs point at Django."""

import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from playwright.sync_api import expect

from apps.core.multipart import PART_SIGNING_SALT, stored_parts
from apps.datasets.models import DatasetFile, DatasetFileUpload
from apps.datasets.tasks import verify_upload
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.datasets.conftest import CSV_BYTES

PART = 5 * 1024**2
# Four parts of 5 MiB and a short fifth; CSV so that the type check accepts it.
BIG_CSV = b"sample_id,value\n" + b"S0001,12345\n" * ((4 * PART + 4321) // 12)


def _sign_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


def _is_part(url: str) -> bool:
    """A part PUT: to this server's part URLs (local storage) or the bucket's (S3)."""
    return "/uploads/parts/" in url or "partNumber=" in url


def _part_number(url: str) -> int:
    query = parse_qs(urlsplit(url).query)
    if "partNumber" in query:
        return int(query["partNumber"][0])
    token = urlsplit(url).path.rstrip("/").rsplit("/", 1)[1]
    return signing.loads(token, salt=PART_SIGNING_SALT)["n"]


@pytest.fixture(params=["local", "s3"])
def storage(request, settings):
    """Local file storage (`make run`: parts go through Django to disk), or a bucket on a real
    S3 HTTP API (moto's server) that the browser reaches across origins, as it would a cloud
    bucket: CORS allows the site's origin and exposes the ETag, and the page's CSP names the
    bucket's origin in connect-src."""
    if request.param == "local":
        return "local"
    client = request.getfixturevalue("s3_storage")
    live_server = request.getfixturevalue("live_server")
    client.put_bucket_cors(
        Bucket=client.bucket,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": [live_server.url],
                    "AllowedMethods": ["PUT", "GET"],
                    "AllowedHeaders": ["*"],
                    "ExposeHeaders": ["ETag"],
                }
            ]
        },
    )
    return "s3"


def _watch_problems(page) -> list[str]:
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    return problems


def _wait_until(page, condition, what: str, seconds: float = 60) -> None:
    """Route handlers run only while Playwright waits, so poll with the page's own timer."""
    for _ in range(int(seconds * 10)):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.browser
def test_a_file_sent_in_parts_resumes_after_a_page_reload_and_appears_once_checked(
    storage, page, transactional_db, partner_member, consortium_dataset, tmp_path, settings
):
    settings.STRATUM_MULTIPART_PART_BYTES = PART
    problems = _watch_problems(page)
    _sign_in(page, partner_member.email)
    source = tmp_path / "sputum-counts.csv"
    source.write_bytes(BIG_CSV)
    upload_page = f"/datasets/{consortium_dataset.pk}/files/upload/"

    # First visit: parts 1 and 2 arrive, part 3 hangs (a connection going dead), and the
    # person reloads the page.
    first_visit: list[int] = []
    held = []

    def first_connection(route):
        number = _part_number(route.request.url)
        first_visit.append(number)
        if number <= 2:
            route.continue_()
        else:
            held.append(route)  # never answered: the page is reloaded meanwhile

    page.route(_is_part, first_connection)
    page.goto(upload_page)
    page.get_by_label("File").set_input_files(str(source))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("form[data-parts-sent='2']")).to_be_attached(timeout=60_000)
    expect(page.locator("[data-upload-bar]")).not_to_have_attribute("value", "0")
    # Parts go one at a time, so part 3 leaves only after part 2's answer has been counted:
    # reload only once it is held, or the reload can beat it (the page would then never ask).
    _wait_until(page, lambda: held, "part 3 to be sent")
    page.reload()  # with part 3 still held: it never arrives
    page.unroute(_is_part)

    upload = DatasetFileUpload.objects.get()
    assert upload.status == "open" and upload.part_count == 5
    assert [p.number for p in stored_parts(upload.key, upload.upload_id)] == [1, 2]
    assert not DatasetFile.objects.exists()
    notice = page.locator("[data-upload-unfinished]")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("sputum-counts.csv")

    # Second visit: the same file again; only the parts not stored are sent, by keyboard.
    second_visit: list[int] = []
    page.on(
        "request",
        lambda request: (
            request.method == "PUT"
            and _is_part(request.url)
            and second_visit.append(_part_number(request.url))
        ),
    )
    page.get_by_label("File").set_input_files(str(source))
    page.get_by_role("button", name="Upload", exact=True).focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "RESPIRE sputum cohort", timeout=60_000
    )

    assert first_visit == [1, 2, 3]
    assert sorted(second_visit) == [3, 4, 5]  # 1 and 2 were not sent again
    digest = hashlib.sha256(BIG_CSV).hexdigest()
    stored = DatasetFile.objects.get()
    assert (stored.sha256, stored.size, stored.file_name) == (
        digest,
        len(BIG_CSV),
        "sputum-counts.csv",
    )
    expect(page.locator("[data-sha256]").first).to_have_text(digest)
    page.screenshot(path=str(tmp_path / f"dataset-after-resume-{storage}.png"), full_page=True)
    assert (
        page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('stratum.upload'))") == []
    )
    assert problems == []


@pytest.mark.browser
def test_a_refused_file_and_a_file_over_the_limit_get_clear_messages(
    page, transactional_db, partner_member, consortium_dataset, tmp_path, settings
):
    problems = _watch_problems(page)
    _sign_in(page, partner_member.email)
    upload_page = f"/datasets/{consortium_dataset.pk}/files/upload/"

    # A refused type: found when the server checks the assembled file; nothing is kept.
    page.goto(upload_page)
    bad = tmp_path / "page.html"
    bad.write_bytes(b"<!doctype html><script>alert(1)</script>")
    page.get_by_label("File").set_input_files(str(bad))
    page.get_by_role("button", name="Upload", exact=True).click()
    status = page.locator("[data-upload-status]")
    expect(status).to_contain_text("The upload failed")
    expect(status).to_contain_text("not accepted")
    expect(status).to_be_focused()
    assert not DatasetFile.objects.exists()
    assert DatasetFileUpload.objects.get().status == "aborted"

    # Over the limit: the script says so before sending a byte.
    settings.STRATUM_UPLOAD_MAX_BYTES = 16
    page.goto(upload_page)
    source = tmp_path / "eosinophils.csv"
    source.write_bytes(CSV_BYTES)
    page.get_by_label("File").set_input_files(str(source))
    sent: list[str] = []
    page.on("request", lambda r: r.method != "GET" and sent.append(r.url))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(status).to_contain_text("larger than the 16 bytes limit")
    assert sent == []
    assert not DatasetFile.objects.exists()
    assert [p for p in problems if "status of 415" not in p] == []


@pytest.mark.browser
def test_a_file_above_the_inline_limit_is_checked_by_the_worker_while_the_page_waits(
    page, transactional_db, partner_member, consortium_dataset, tmp_path, settings, monkeypatch
):
    """`complete` answers 202 for a large file; the page says the server is checking it and
    asks again until the worker (run here by the test) has recorded the file."""
    settings.STRATUM_MULTIPART_PART_BYTES = PART
    settings.STRATUM_MULTIPART_VERIFY_INLINE_BYTES = PART
    queued: list[str] = []
    monkeypatch.setattr(
        "apps.api.views.multipart.queue_verification", lambda upload: queued.append(upload.pk)
    )
    problems = _watch_problems(page)
    _sign_in(page, partner_member.email)
    source = tmp_path / "sputum-counts.csv"
    source.write_bytes(BIG_CSV)
    page.goto(f"/datasets/{consortium_dataset.pk}/files/upload/")
    page.get_by_label("File").set_input_files(str(source))
    page.get_by_role("button", name="Upload", exact=True).click()

    expect(page.locator("[data-upload-status]")).to_contain_text(
        "checking the file's SHA-256; a large file", timeout=60_000
    )
    upload = DatasetFileUpload.objects.get()
    assert (queued, upload.status) == ([upload.pk], "verifying")
    assert not DatasetFile.objects.exists()
    verify_upload(str(upload.pk))  # the worker

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "RESPIRE sputum cohort", timeout=30_000
    )
    expect(page.locator("[data-sha256]").first).to_have_text(hashlib.sha256(BIG_CSV).hexdigest())
    assert (
        page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('stratum.upload'))") == []
    )
    assert problems == []
