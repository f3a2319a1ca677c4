"""The header search box in a real browser (issue 19, acceptance 4): typing fetches
suggestions (htmx, under the strict CSP), the keyboard alone picks one and lands on the item,
and axe finds nothing serious on the results page."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.console import watch_for_errors
from tests.browser.test_accessibility import AXE_SOURCE, axe_violations, describe
from tests.search.conftest import search_world  # noqa: F401 - a fixture


@pytest.mark.browser
def test_typing_and_picking_a_suggestion_with_the_keyboard_lands_on_the_item(
    transactional_db,
    page,
    search_world,  # noqa: F811 - the imported fixture
):
    problems = watch_for_errors(page)
    page.goto("/")
    box = page.get_by_role("combobox", name="Search Stratum")
    box.focus()
    box.press_sequentially("eosin", delay=60)
    options = page.locator("#site-search-listbox [role=option]")
    expect(options.first).to_contain_text("Blood eosinophil count")
    expect(box).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#site-search-status")).to_contain_text("suggestion")

    box.press("ArrowDown")
    expect(options.first).to_have_attribute("aria-selected", "true")
    first_id = options.first.get_attribute("id")
    expect(box).to_have_attribute("aria-activedescendant", first_id)
    box.press("Enter")

    page.wait_for_url(re.compile(rf"/projects/{search_world.respire.slug}/#section-biomarkers$"))
    section = page.locator("#section-biomarkers")
    expect(section.get_by_text("Blood eosinophil count")).to_be_visible()
    assert not problems, problems


@pytest.mark.browser
def test_escape_closes_the_list_and_enter_without_a_choice_searches(
    transactional_db,
    page,
    search_world,  # noqa: F811 - the imported fixture
):
    page.goto("/")
    box = page.get_by_role("combobox", name="Search Stratum")
    box.focus()
    box.press_sequentially("asthma", delay=40)
    expect(box).to_have_attribute("aria-expanded", "true")
    box.press("Escape")
    expect(box).to_have_attribute("aria-expanded", "false")
    box.press("Enter")
    page.wait_for_url("**/search/?q=asthma")
    expect(page.get_by_role("heading", name="Search", exact=True)).to_be_visible()


@pytest.mark.browser
def test_the_results_page_is_axe_clean(transactional_db, page, search_world):  # noqa: F811
    page.context.add_init_script(path=str(AXE_SOURCE))
    page.goto("/search/?q=asthma")
    expect(page.locator("ol.search-results li").first).to_be_visible()
    serious = [v for v in axe_violations(page) if v["impact"] in ("serious", "critical")]
    assert not serious, describe(serious)
