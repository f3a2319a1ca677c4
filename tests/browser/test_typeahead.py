"""Type-ahead filters in a real browser: typing fetches suggestions (htmx, under the strict
CSP), picking one filters by exactly that project or organisation, the page stays axe-clean,
and without JavaScript the same field filters by its text."""

import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from apps.core.models import AccessTier
from apps.projects.models import PartnerRole
from tests.browser.console import watch_for_errors
from tests.browser.test_accessibility import AXE_SOURCE, axe_violations, describe
from tests.datasets.factories import DatasetFactory
from tests.projects.factories import PartnerFactory, ProjectFactory


def _sign_in(context, base_url: str, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


@pytest.fixture
def datasets_world(transactional_db, project, partner_org, other_org, partner_member):
    """RESPIRE (the member's consortium) and RESPIRE2 (also theirs), and a project of another
    consortium whose name also contains the typed text but whose data the member may not see."""
    DatasetFactory(project=project, title="Sputum cohort", access_tier=AccessTier.CONSORTIUM)
    follow_up = ProjectFactory(acronym="RESPIRE2", title="Respiratory follow-up")
    PartnerFactory(project=follow_up, organisation=partner_org, role=PartnerRole.LEAD)
    DatasetFactory(project=follow_up, title="Follow-up visits", access_tier=AccessTier.CONSORTIUM)
    hidden = ProjectFactory(acronym="RESPX", title="Respiratory secrets")
    PartnerFactory(project=hidden, organisation=other_org, role=PartnerRole.LEAD)
    DatasetFactory(project=hidden, title="Secret scans", access_tier=AccessTier.CONSORTIUM)
    return project


@pytest.mark.browser
def test_typing_a_project_and_picking_a_suggestion_filters_by_exactly_that_project(
    page, live_server, datasets_world, partner_member
):
    project = datasets_world
    problems = watch_for_errors(page)
    page.context.add_init_script(path=str(AXE_SOURCE))
    _sign_in(page.context, live_server.url, partner_member)
    page.goto("/datasets/")

    field = page.get_by_label("Project", exact=True)
    field.focus()
    field.press_sequentially("resp", delay=40)
    suggestions = page.locator("#filter-project-suggestions option")
    expect(suggestions).to_have_count(2)
    assert suggestions.evaluate_all("(options) => options.map((o) => o.value)") == [
        "RESPIRE",
        "RESPIRE2",
    ]  # never RESPX, whose datasets the member may not see
    expect(page.locator("#filter-project-status")).to_have_text("2 suggestions")

    field.fill("RESPIRE")  # what choosing the suggestion does: the value, then an input event
    expect(page.locator("#filter-project-choice")).to_have_value(str(project.pk))
    field.press("Enter")

    page.wait_for_url(re.compile(rf"project={project.pk}"))
    rows = page.locator("main table tbody tr")
    expect(rows).to_have_count(1)  # not RESPIRE2's dataset, although its acronym matches too
    expect(rows.first).to_contain_text("Sputum cohort")
    expect(page.get_by_text("Showing RESPIRE only.")).to_be_visible()
    violations = axe_violations(page)
    assert not violations, describe(violations)

    page.get_by_role("link", name="Remove the project filter").click()
    expect(page.locator("main table tbody tr")).to_have_count(2)
    assert not problems, problems


@pytest.mark.browser
def test_without_javascript_the_project_field_filters_by_its_text(
    _playwright_browser, live_server, datasets_world, partner_member
):
    context = _playwright_browser.new_context(
        base_url=live_server.url, locale="en-GB", java_script_enabled=False
    )
    try:
        _sign_in(context, live_server.url, partner_member)
        page = context.new_page()
        page.goto("/datasets/")
        page.get_by_label("Project", exact=True).fill("follow")
        page.get_by_role("button", name="Filter").click()
        page.wait_for_url(re.compile(r"project_name=follow"))
        rows = page.locator("main table tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("Follow-up visits")
    finally:
        context.close()


@pytest.mark.browser
def test_an_anonymous_visitor_picks_a_partner_organisation_in_the_catalogue(
    page, transactional_db, project, lead_org, other_org
):
    other = ProjectFactory(acronym="DIAG", title="Diagnostic markers")
    PartnerFactory(project=other, organisation=other_org, role=PartnerRole.LEAD)
    problems = watch_for_errors(page)
    page.context.add_init_script(path=str(AXE_SOURCE))
    page.goto("/projects/")

    field = page.get_by_label("Partner organisation", exact=True)
    field.press_sequentially("pharm", delay=40)
    suggestions = page.locator("#id_organisation_name-suggestions option")
    expect(suggestions).to_have_count(1)
    expect(suggestions.first).to_have_attribute("value", "Pharmacorp")
    violations = axe_violations(page)
    assert not violations, describe(violations)

    field.fill("Pharmacorp")
    expect(page.locator("#id_organisation_name-choice")).to_have_value(lead_org.slug)
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(rf"organisation={lead_org.slug}"))
    expect(page.get_by_text("Showing Pharmacorp only.")).to_be_visible()
    expect(
        page.get_by_role("heading", name=re.compile("Respiratory stratification"))
    ).to_be_visible()
    expect(page.get_by_text("Diagnostic markers")).to_have_count(0)
    assert not problems, problems
