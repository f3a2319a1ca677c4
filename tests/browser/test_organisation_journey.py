"""Acceptance 1 in a real browser: propose an organisation → staff approve it in the console →
a person with a matching e-mail domain signs up, verifies and lands affiliated → an invited
person joins via the e-mailed link → a reused or expired invitation gets a clear error."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from apps.organisations.models import Affiliation, Invitation
from tests.accounts.factories import DEFAULT_PASSWORD, UserFactory
from tests.browser.console import watch_for_errors

NEW_PASSWORD = "plum-orchard-42-lantern"


def _link(email: str, pattern: str) -> str:
    messages = [message for message in mail.outbox if email in message.to]
    assert messages, f"no e-mail was sent to {email}"
    match = re.search(pattern, messages[-1].body)
    assert match, messages[-1].body
    return match.group(0)


def _sign_in(page, email: str, password: str = DEFAULT_PASSWORD) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


@pytest.mark.browser
def test_an_organisation_is_proposed_approved_and_joined(page, transactional_db):
    # The invitation error pages answer 410/403 on purpose; Chromium logs those statuses.
    problems = watch_for_errors(page)
    UserFactory(email="proposer@kelvin.ac.uk", first_name="Priya", last_name="Proposer")
    UserFactory(email="staff@stratum.test", is_staff=True, is_superuser=True)
    UserFactory(email="guest@elsewhere.test", first_name="Gus", last_name="Guest")

    # 1. A signed-in person proposes Kelvin Institute.
    _sign_in(page, "proposer@kelvin.ac.uk")
    page.goto("/organisations/propose/")
    page.get_by_label("Organisation name").fill("Kelvin Institute")
    page.get_by_label("Kind of organisation").select_option(label="University / academic institute")
    page.get_by_label("Country").select_option(label="United Kingdom")
    page.get_by_label("ROR ID").fill("https://ror.org/013meh722")
    page.get_by_label("E-mail domains").fill("kelvin.ac.uk")
    page.get_by_role("button", name="Send for approval").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kelvin Institute")
    expect(page.get_by_text("awaits approval by portal staff").first).to_be_visible()

    # 2. Staff approve it from the console's queue, after a confirmation page.
    _sign_in(page, "staff@stratum.test")
    page.goto("/organisations/staff/")
    queue = page.get_by_role("region", name="Awaiting approval")
    queue.get_by_role("link", name="Approve Kelvin Institute").click()
    page.get_by_role("button", name="Approve Kelvin Institute").click()
    expect(page.get_by_role("status").first).to_contain_text("Kelvin Institute is approved")

    # 3. Someone at kelvin.ac.uk signs up, verifies and is affiliated at once.
    page.context.clear_cookies()
    page.goto("/accounts/signup/")
    page.get_by_label("Given name").fill("Morag")
    page.get_by_label("Family name").fill("MacLeod")
    page.get_by_label("Email", exact=True).fill("newcomer@kelvin.ac.uk")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Password (again)").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.goto(_link("newcomer@kelvin.ac.uk", r"https?://\S+/accounts/confirm-email/\S+"))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    page.goto("/organisations/mine/")
    expect(page.get_by_role("link", name="Kelvin Institute", exact=True)).to_be_visible()
    assert (
        Affiliation.objects.active()
        .filter(user__email="newcomer@kelvin.ac.uk", organisation__name="Kelvin Institute")
        .exists()
    )

    # 4. The proposer, now the admin, invites a guest by e-mail; the guest joins via the link.
    _sign_in(page, "proposer@kelvin.ac.uk")
    page.goto("/organisations/mine/")
    page.get_by_role("link", name="Manage Kelvin Institute").click()
    page.get_by_role("link", name="Invitations").click()
    page.get_by_label("E-mail address").fill("guest@elsewhere.test")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("status").first).to_contain_text("e-mailed to guest@elsewhere.test")
    invitation_link = _link("guest@elsewhere.test", r"https?://\S+/organisations/invitations/\S+/")

    page.context.clear_cookies()
    page.goto(invitation_link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Join Kelvin Institute")
    page.get_by_role("link", name="Sign in to accept").click()
    page.get_by_label("Email", exact=True).fill("guest@elsewhere.test")
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("button", name="Accept and join Kelvin Institute").click()
    expect(page.get_by_role("status").first).to_contain_text("Welcome to Kelvin Institute")
    expect(page.get_by_role("heading", name="Members")).to_be_visible()

    # 5. The same link again: already used, said plainly.
    page.goto(invitation_link)
    expect(page.get_by_role("heading", level=1)).to_have_text("This invitation was already used")
    expect(page.get_by_role("alert")).to_contain_text("Each invitation link works once")

    # 6. An expired invitation says so too.
    _sign_in(page, "proposer@kelvin.ac.uk")
    page.goto("/organisations/mine/")
    page.get_by_role("link", name="Manage Kelvin Institute").click()
    page.get_by_role("link", name="Invitations").click()
    page.get_by_label("E-mail address").fill("late@elsewhere.test")
    page.get_by_role("button", name="Send the invitation").click()
    late_link = _link("late@elsewhere.test", r"https?://\S+/organisations/invitations/\S+/")
    Invitation.objects.filter(email="late@elsewhere.test").update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    page.context.clear_cookies()
    page.goto(late_link)
    expect(page.get_by_role("heading", level=1)).to_have_text("This invitation has expired")
    expect(page.get_by_role("alert")).to_contain_text("Ask the organisation's admin")

    assert problems == []
