"""The upload form in a real browser: the progress bar script posts with XMLHttpRequest under
the strict CSP, lands on the dataset page, and the SHA-256 shown matches the file."""

import hashlib

import pytest
from playwright.sync_api import expect

from apps.datasets.models import DatasetFile
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.datasets.conftest import CSV_BYTES


def _sign_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


@pytest.mark.browser
def test_upload_with_progress_then_refusal_shown_in_place(
    page, transactional_db, partner_member, consortium_dataset, tmp_path, settings
):
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    _sign_in(page, partner_member.email)

    page.goto(f"/datasets/{consortium_dataset.pk}/files/upload/")
    source = tmp_path / "eosinophils.csv"
    source.write_bytes(CSV_BYTES)
    page.get_by_label("File").set_input_files(str(source))
    with page.expect_request(lambda r: r.method == "POST" and "/files/upload/" in r.url) as sent:
        page.get_by_role("button", name="Upload", exact=True).click()
    assert sent.value.headers.get("x-requested-with") == "XMLHttpRequest"  # the script sent it
    expect(page.get_by_role("heading", level=1)).to_have_text("RESPIRE sputum cohort")
    page.screenshot(path=str(tmp_path / "dataset-detail.png"), full_page=True)
    digest = hashlib.sha256(CSV_BYTES).hexdigest()
    expect(page.locator("[data-sha256]").first).to_have_text(digest)
    assert DatasetFile.objects.get().sha256 == digest

    # A refused file: the form comes back in place with the error summary, nothing stored.
    page.goto(f"/datasets/{consortium_dataset.pk}/files/upload/")
    bad = tmp_path / "page.html"
    bad.write_bytes(b"<!doctype html><script>alert(1)</script>")
    page.get_by_label("File").set_input_files(str(bad))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("[data-error-summary]")).to_contain_text("not accepted")
    page.screenshot(path=str(tmp_path / "upload-refused.png"), full_page=True)
    assert DatasetFile.objects.count() == 1

    # Over the limit: the script says so before sending a byte.
    settings.STRATUM_UPLOAD_MAX_BYTES = 16
    page.goto(f"/datasets/{consortium_dataset.pk}/files/upload/")
    page.get_by_label("File").set_input_files(str(source))
    sent_posts: list[str] = []
    page.on("request", lambda r: r.method == "POST" and sent_posts.append(r.url))
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("[data-upload-status]")).to_contain_text("larger than the 16 bytes limit")
    assert sent_posts == []
    assert DatasetFile.objects.count() == 1
    assert [p for p in problems if "status of 400" not in p] == []
