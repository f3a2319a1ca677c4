"""Issue 20, acceptance 4: at 390 px the page body never scrolls sideways on the home, project,
datasets, request and audit pages, and the milestone timeline's text is at least 12 px."""

import pytest
from playwright.sync_api import expect

from tests.access.conftest import (  # noqa: F401  (the accessibility world's fixtures)
    asthma,
    committee,
    controlled_dataset,
    dac_member,
    duo_terms,
    nhs_org,
    request_data,
    respiratory,
)
from tests.browser.test_accessibility import _sign_in, axe_page, world  # noqa: F401

PHONE = {"width": 390, "height": 844}

# Wider than the viewport: the document, or any element sticking out past its right edge.
OVERFLOW = """() => {
    const width = document.documentElement.clientWidth;
    const culprits = [...document.querySelectorAll("body *")]
        .filter((el) => {
            const box = el.getBoundingClientRect();
            if (box.width === 0 || box.right <= width + 0.5) return false;
            // Inside a frame that scrolls sideways on its own (tables, the timeline): fine.
            for (let up = el.parentElement; up; up = up.parentElement) {
                const style = getComputedStyle(up);
                if (["auto", "scroll", "hidden"].includes(style.overflowX)) return false;
            }
            return true;
        })
        .map((el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
             + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : ""));
    return {scroll: document.documentElement.scrollWidth, width, culprits: culprits.slice(0, 5)};
}"""

TIMELINE_TEXT_PX = """(selector) => [...document.querySelectorAll(selector + " text")].map((t) =>
    parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)"""


def _pages(w):
    member = w.people["member"]
    return [
        (member, "home", "/"),
        (member, "project", f"/projects/{w.project.slug}/"),
        (member, "datasets", "/datasets/"),
        (member, "request", f"/access/requests/{w.pending_request.pk}/"),
        (member, "milestones", f"/milestones/projects/{w.project.slug}/"),
        (w.people["staff"], "audit", "/audit/"),
    ]


@pytest.mark.browser
def test_at_390_px_no_page_scrolls_sideways(axe_page, world):  # noqa: F811 (fixtures)
    page = axe_page
    page.set_viewport_size(PHONE)
    wide = {}
    for person, name, url in _pages(world):
        _sign_in(page, person)
        response = page.goto(url)
        assert response.status == 200, (name, response.status)
        measured = page.evaluate(OVERFLOW)
        if measured["scroll"] > measured["width"] or measured["culprits"]:
            wide[name] = measured
    assert wide == {}


@pytest.mark.browser
def test_at_390_px_the_timeline_text_is_at_least_12_px_and_its_frame_scrolls(
    axe_page,  # noqa: F811 (fixture)
    world,  # noqa: F811 (fixture)
):
    page = axe_page
    page.set_viewport_size(PHONE)
    _sign_in(page, world.people["member"])
    page.goto(f"/milestones/projects/{world.project.slug}/")
    expect(page.locator("svg#milestone-timeline")).to_be_visible()
    sizes = page.evaluate(TIMELINE_TEXT_PX, "svg#milestone-timeline")
    assert sizes, "the timeline has no text"
    assert min(sizes) >= 12, sizes
    frame = page.get_by_role("region", name="Milestone timeline")
    assert frame.evaluate("(el) => el.scrollWidth > el.clientWidth")
    expect(page.get_by_text("Scroll sideways to see the whole timeline")).to_be_visible()
