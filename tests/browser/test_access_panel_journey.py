"""Issue 17 in a real browser. One researcher walks a controlled dataset through the four states
of its access panel (no access yet → request in review → access granted → access revoked) and
every state reads as words; and the request form, submitted without an obligation the dataset
requires, keeps the request as it was, shows the error at the field, moves focus to the error
summary, and axe finds nothing serious on the page."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.access import duo
from apps.access.models import AccessRequest, RequestStatus
from apps.access.services import (
    access_request_approve,
    access_request_create,
    data_use_policy_set,
    grant_revoke,
)
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
from tests.browser.test_accessibility import AXE_SOURCE, axe_violations, describe

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-")
RAW = ("NEEDS_DAC", "needs_dac", "NEEDSDAC", "(integer)", "in_review", "no_access", "None")


def _sign_in(page, email: str) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


def _panel_words(page, url: str) -> str:
    page.goto(url)
    panel = page.get_by_role("region", name="Your access")
    expect(panel).to_be_visible()
    text = panel.inner_text()
    assert not UUID.search(text), text
    for raw in RAW:
        assert raw not in text, (raw, text)
    return text


@pytest.fixture
def dataset(controlled_dataset, coordinator, respiratory):  # noqa: F811
    """The controlled dataset with a time limit too, so months must read as months."""
    data_use_policy_set(
        dataset=controlled_dataset,
        permission="DS",
        permission_value=[respiratory.pk],
        modifiers={"NCU": None, "PUB": None, "TS": 12},
        actor=coordinator,
    )
    return controlled_dataset


@pytest.mark.browser
def test_one_researcher_sees_the_four_states_of_the_access_panel_in_words(
    page,
    transactional_db,
    dataset,
    partner_member,
    dac_member,  # noqa: F811
    asthma,  # noqa: F811
):
    url = f"/datasets/{dataset.pk}/"
    _sign_in(page, partner_member.email)

    # 1. No access yet: the conditions in words and a clear "Request access".
    text = _panel_words(page, url)
    assert "You do not have access to this dataset’s files yet." in text
    assert "Disease specific research: Respiratory inflammatory disease (J44-J45)" in text
    assert "Time limit on use: 12 months" in text
    page.get_by_role("region", name="Your access").get_by_role(
        "link", name="Request access"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Request access")
    page.get_by_label("Purpose").fill("Validate the eosinophil signature in asthma outcomes.")
    page.get_by_label("Research on specific diseases", exact=False).check()
    page.get_by_label("Asthma", exact=True).check()
    page.get_by_label("I will make the results available", exact=False).check()
    page.get_by_role("button", name="Submit to the committee").click()
    expect(page.get_by_text("submitted to the data access committee")).to_be_visible()

    # 2. In review, with a link to the request.
    text = _panel_words(page, url)
    assert "Your request is in review by the data access committee since" in text
    assert "Request access" not in text
    panel = page.get_by_role("region", name="Your access")
    panel.get_by_role("link", name="View your request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Access request")
    verdicts = page.get_by_role("table").first.inner_text()
    assert "Passes" in verdicts and "Needs the committee" not in verdicts
    assert "Snapshot" not in page.content() and "Fingerprint" not in page.content()

    # 3. Granted: until when, download, renew.
    request = AccessRequest.objects.get(requester=partner_member)
    access_request_approve(access_request=request, actor=dac_member)
    grant = request.grants.get()
    until = duo.day(timezone.localtime(grant.valid_until).date())
    text = _panel_words(page, url)
    assert f"You have access until {until}." in text
    assert "Download the files" in text and "Renew your access" in text
    assert "Request access" not in text

    # 4. Revoked: why, and apply again.
    grant_revoke(grant=grant, actor=dac_member, reason="Data shared outside the project")
    text = _panel_words(page, url)
    assert "Your access was revoked on" in text
    assert "Reason: Data shared outside the project" in text
    expect(
        page.get_by_role("region", name="Your access").get_by_role("link", name="Apply again")
    ).to_be_visible()


@pytest.mark.browser
def test_submitting_without_a_required_obligation_keeps_the_request_and_points_at_the_field(
    page,
    transactional_db,
    controlled_dataset,  # noqa: F811
    partner_member,
    partner_org,
    asthma,  # noqa: F811
):
    page.context.add_init_script(path=str(AXE_SOURCE))
    draft = access_request_create(
        dataset=controlled_dataset,
        requester=partner_member,
        organisation=partner_org,
        data={"purpose": "Validate an eosinophil signature.", "diseases": [asthma]},
    )
    saved = AccessRequest.objects.get(pk=draft.pk)
    _sign_in(page, partner_member.email)
    page.goto(f"/access/requests/{draft.pk}/edit/")
    page.get_by_label("Purpose").fill("A changed purpose that must not be saved.")
    page.get_by_label("Research on specific diseases", exact=False).check()
    page.get_by_role("button", name="Submit to the committee").click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Accept every obligation")
    field_error = page.locator("#id_attestations_error")
    expect(field_error).to_contain_text("Accept every obligation")
    expect(field_error).to_contain_text("I will make the results available")
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.name") == "attestations"

    kept = AccessRequest.objects.get(pk=draft.pk)
    assert kept.status == RequestStatus.DRAFT
    assert kept.purpose == saved.purpose and kept.updated_at == saved.updated_at
    assert AccessRequest.objects.filter(requester=partner_member).count() == 1

    serious = [v for v in axe_violations(page) if v["impact"] in ("serious", "critical")]
    assert not serious, describe(serious)
