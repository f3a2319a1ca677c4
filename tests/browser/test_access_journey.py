"""Acceptance 2 in a real browser: a university researcher requests access to a controlled
dataset of a pharma-led consortium → a committee member from a third organisation approves →
the researcher downloads the file and its SHA-256 matches → revocation stops the next download."""

import hashlib

import pytest
from playwright.sync_api import expect

from apps.access.models import AccessGrant
from tests.access.conftest import (  # noqa: F401  (the access world's fixtures)
    asthma,
    committee,
    controlled_dataset,
    dac_member,
    duo_terms,
    nhs_org,
    respiratory,
)
from tests.accounts.factories import DEFAULT_PASSWORD

CONTENT = b"participant,stratum,fev1\nP0001,eosinophilic,2.31\nP0002,neutrophilic,1.87\n"


def _sign_in(page, email: str) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


@pytest.fixture
def journey(controlled_dataset, partner_member, dac_member, asthma):  # noqa: F811
    """The world of the journey; the asthma disease area exists for the form to offer."""
    from tests.datasets.factories import DatasetFileFactory

    controlled_dataset.files.all().delete()
    stored = DatasetFileFactory(
        dataset=controlled_dataset, file_name="outcomes.csv", content=CONTENT
    )
    return controlled_dataset, stored, partner_member, dac_member


@pytest.mark.browser
def test_request_approve_download_and_revoke(page, transactional_db, journey):
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    dataset, stored, researcher, reviewer = journey
    dataset_url = f"/datasets/{dataset.pk}/"

    # 1. The university researcher files a request from the dataset's page.
    _sign_in(page, researcher.email)
    page.goto(dataset_url)
    page.get_by_role("link", name="Request access").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Request access")
    page.get_by_label("Purpose").fill("Validate the eosinophil signature in asthma outcomes.")
    page.get_by_label("Research on specific diseases", exact=False).check()
    page.get_by_label("Asthma", exact=True).check()
    page.get_by_label("Non-commercial research").check()
    page.get_by_label("I will make the results available", exact=False).check()
    page.get_by_role("button", name="Submit to the committee").click()
    expect(page.get_by_text("submitted to the data access committee")).to_be_visible()
    expect(page.locator(".status-badge").first).to_have_text("In review")

    # 2. A committee member from the NHS trust (a third organisation) approves it.
    _sign_in(page, reviewer.email)
    page.goto(f"/access/committee/{dataset.project.slug}/")
    page.get_by_role("link", name="Decide").click()
    expect(page.get_by_text("Validate the eosinophil signature")).to_be_visible()
    page.get_by_label("Approve").check()
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Your decision is recorded.")).to_be_visible()
    expect(page.locator(".status-badge").first).to_have_text("Approved")

    # 3. The researcher downloads the file; its SHA-256 matches the one the page shows.
    _sign_in(page, researcher.email)
    page.goto(dataset_url)
    shown = page.locator("[data-sha256]").first.inner_text().strip()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download outcomes.csv").click()
    path = download_info.value.path()
    with open(path, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    assert digest == shown == stored.sha256 == hashlib.sha256(CONTENT).hexdigest()
    download_url = f"/datasets/{dataset.pk}/files/{stored.pk}/download/"

    # 4. The committee member revokes the grant (after confirming); the next download fails.
    grant = AccessGrant.objects.get(user=researcher, dataset=dataset)
    _sign_in(page, reviewer.email)
    page.goto(f"/access/grants/{grant.pk}/")
    page.get_by_label("Reason for revoking").fill("Results shared outside the consortium.")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke now").click()
    expect(page.locator(".status-badge").first).to_have_text("Revoked")

    _sign_in(page, researcher.email)
    assert page.request.get(download_url).status == 404
    page.goto(dataset_url)
    expect(page.get_by_role("link", name="Download outcomes.csv")).to_have_count(0)
    assert problems == []
