"""The foundation journey in a real browser: sign up, verify by e-mail, sign out, sign in."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

EMAIL = "new.researcher@example.org"
PASSWORD = "plum-orchard-42-lantern"


def confirmation_link(email: str) -> str:
    messages = [message for message in mail.outbox if email in message.to]
    assert messages, f"no e-mail was sent to {email}"
    match = re.search(r"https?://\S+/accounts/confirm-email/\S+", messages[-1].body)
    assert match, messages[-1].body
    return match.group(0)


@pytest.mark.browser
def test_a_new_person_signs_up_verifies_signs_out_and_signs_in_again(page, transactional_db):
    problems: list[str] = []
    page.on("console", lambda msg: msg.type == "error" and problems.append(msg.text))
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto("/")
    page.get_by_role("link", name="Create an account").first.click()
    page.get_by_label("Given name").fill("Aoife")
    page.get_by_label("Family name").fill("Ní Bhriain")
    page.get_by_label("Email", exact=True).fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")

    page.goto(confirmation_link(EMAIL))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    expect(page.get_by_role("status").first).to_contain_text("You have confirmed")

    page.get_by_role("button", name="Account menu for Aoife Ní Bhriain").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Stratum")

    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("Email", exact=True).fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")

    # Bootstrap, htmx and site.js all ran under the strict CSP without a single violation.
    assert problems == []


@pytest.mark.browser
def test_a_wrong_password_is_announced_and_focus_moves_to_the_error_summary(page, transactional_db):
    from tests.accounts.factories import UserFactory

    UserFactory(email="known@example.org")
    page.goto("/accounts/login/")
    page.get_by_label("Email", exact=True).fill("known@example.org")
    page.get_by_label("Password", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Sign in", exact=True).click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("not correct")
    expect(summary).to_be_focused()


@pytest.mark.browser
def test_htmx_requests_carry_the_csrf_token_from_the_page(page, transactional_db):
    seen: dict[str, str] = {}

    def answer(route):
        seen.update(route.request.headers)
        route.fulfill(status=200, body="<p id='swapped'>done</p>", content_type="text/html")

    page.route("**/htmx-probe/", answer)
    page.goto("/")
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    # Playwright's evaluate runs outside the page's CSP; the page itself has no inline script.
    page.evaluate(
        """() => {
            const button = document.createElement("button");
            button.id = "probe";
            button.setAttribute("hx-post", "/htmx-probe/");
            button.setAttribute("hx-swap", "outerHTML");
            button.textContent = "Probe";
            document.querySelector("main").appendChild(button);
            htmx.process(button);
        }"""
    )
    page.get_by_role("button", name="Probe").click()
    expect(page.locator("#swapped")).to_have_text("done")
    assert token
    assert seen["x-csrftoken"] == token
    assert seen["hx-request"] == "true"
    assert page.evaluate("htmx.config.includeIndicatorStyles") is False


@pytest.mark.browser
def test_on_a_phone_the_menu_folds_away_and_opens_from_its_button(page, transactional_db):
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto("/")
    projects = page.get_by_role("navigation", name="Main").get_by_role("link", name="Projects")
    expect(projects).to_be_hidden()

    page.get_by_role("button", name="Show or hide the menu").click()

    expect(projects).to_be_visible()
    expect(page.get_by_role("button", name="Show or hide the menu")).to_have_attribute(
        "aria-expanded", "true"
    )
