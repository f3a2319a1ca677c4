"""Issue 20, acceptance 1: a newcomer at a university signs up, is joined by their address's
domain and welcomed, sees their name wherever they appear, and reaches every page of /account/
from the user menu."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from apps.organisations.models import OrganisationDomain
from tests.browser.console import watch_for_errors
from tests.organisations.factories import OrganisationFactory

EMAIL = "k.adeyemi@kelvin.ac.uk"
PASSWORD = "plum-orchard-42-lantern"
NAME = "Kemi Adeyemi-Sørensen"

# The account's pages, by the heading each opens with.
ACCOUNT_PAGES = {
    "Profile": "Your profile",
    "E-mail addresses": "E-mail addresses",
    "Password": "Change password",
    "Sign-in and security": "Sign-in and security",
    "Two-factor authentication": "Two-factor authentication",
    "API tokens": "API tokens",
    "Webhooks": "Webhooks",
    "Notification preferences": "Notification",
}


def _confirmation_link() -> str:
    body = [m for m in mail.outbox if EMAIL in m.to][-1].body
    return re.search(r"https?://\S+/accounts/confirm-email/\S+", body).group(0)


@pytest.mark.browser
def test_a_newcomer_is_welcomed_named_everywhere_and_finds_every_account_page(
    page, transactional_db
):
    kelvin = OrganisationFactory(name="Kelvin University")
    OrganisationDomain.objects.create(organisation=kelvin, domain="kelvin.ac.uk")
    problems = watch_for_errors(page)

    page.goto("/accounts/signup/")
    page.get_by_label("Given name").fill("Kemi")
    page.get_by_label("Family name").fill("Adeyemi-Sørensen")
    page.get_by_label("Email", exact=True).fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_label("ORCID iD (optional)").fill("https://orcid.org/0000-0002-1825-0097")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your e-mail")

    page.goto(_confirmation_link())
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your e-mail address")
    page.get_by_role("button", name="Confirm").click()

    # The welcome, with the next steps as links.
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Kemi")
    welcome = page.get_by_role("region", name="You have joined Kelvin University")
    expect(welcome).to_contain_text("kelvin.ac.uk")
    for link in ["Browse the catalogue of projects", "Propose a project", "Complete your profile"]:
        expect(welcome.get_by_role("link", name=link)).to_be_visible()

    # The name, never the address, where the person appears.
    menu_button = page.get_by_role("button", name=f"Account menu for {NAME}")
    expect(menu_button).to_be_visible()
    page.goto(f"/organisations/{kelvin.slug}/")
    members = page.get_by_role("table", name="People in Kelvin University")
    expect(members).to_contain_text(NAME)
    expect(members).not_to_contain_text(EMAIL)

    # Every page of the account, from the user menu.
    page.get_by_role("button", name=f"Account menu for {NAME}").click()
    page.get_by_role("link", name="Your account").click()
    expect(page).to_have_url(re.compile(r"/account/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    for card, heading in ACCOUNT_PAGES.items():
        page.goto("/account/")
        page.get_by_role("region", name=card, exact=True).get_by_role("link").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    page.goto("/account/profile/")
    expect(page.get_by_label("Given name")).to_have_value("Kemi")
    expect(page.get_by_label("ORCID iD (optional)")).to_have_value("0000-0002-1825-0097")

    assert problems == []
