"""Organisation sign-in in a real browser (Chromium): from the sign-in page to the local OIDC
provider and back, under the strict CSP — the hand-over form may reach the IdP (form-action)
and nothing is blocked — and the new pages pass axe (WCAG 2.2 AA)."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from apps.organisations.models import Affiliation
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.browser.test_accessibility import AXE_SOURCE, _sign_in, axe_violations, describe
from tests.sso.conftest import idp_account

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _collect_problems(page) -> list[str]:
    """Console errors and page errors; a form re-rendered with errors answers 400 by design,
    which the console reports as a failed load."""
    problems: list[str] = []

    def on_console(msg):
        if msg.type == "error" and "status of 400" not in msg.text:
            problems.append(msg.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


@pytest.fixture
def idp_may_answer_the_portal(settings, hosts):
    """The test IdP is this same app on another origin, so it serves the portal's CSP; a real
    IdP's sign-in form may send the browser back to us. Adding the portal's origin changes
    nothing for the portal's own pages ('self' already is that origin): their hand-over to
    the IdP still needs the form-action that apps.sso.views.start adds."""
    policy = settings.CONTENT_SECURITY_POLICY
    directives = {**policy["DIRECTIVES"]}
    directives["form-action"] = [*directives["form-action"], hosts["portal"]]
    settings.CONTENT_SECURITY_POLICY = {**policy, "DIRECTIVES": directives}


def test_a_person_signs_in_with_their_organisation_in_a_browser(
    page, hosts, kelvin_oidc, idp_may_answer_the_portal
):
    account = idp_account("ada@kelvin.ac.uk", given_name="Ada", family_name="Lovelace")
    problems = _collect_problems(page)

    page.goto(f"{hosts['portal']}/accounts/login/")
    page.get_by_role("link", name="Sign in with your organisation").click()
    page.get_by_label("Your work e-mail address").fill("ada@kelvin.ac.uk")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in with Kelvin University")
    page.get_by_role("button", name="Continue to Kelvin University").click()

    # The IdP's own sign-in page, on its own origin.
    page.wait_for_url(f"{hosts['idp']}/accounts/login/**")
    page.locator("input[name=login]").fill(account.email)
    page.locator("input[name=password]").fill(DEFAULT_PASSWORD)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()

    page.wait_for_url(f"{hosts['portal']}/")
    person = get_user_model().objects.get(email="ada@kelvin.ac.uk")
    expect(page.get_by_role("button", name=re.compile("^Account menu for"))).to_be_visible()
    assert Affiliation.objects.get(user=person).organisation == kelvin_oidc.organisation
    assert problems == []


def test_the_organisation_sign_in_pages_pass_axe(page, hosts, kelvin_oidc):
    page.context.add_init_script(path=str(AXE_SOURCE))
    problems = _collect_problems(page)

    page.goto(f"{hosts['portal']}/sso/sign-in/")
    page.get_by_label("Your work e-mail address").fill("ada@gmail.test")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("alert")).to_contain_text("No organisation sign-in is set up")
    expect(page.get_by_role("alert")).to_be_focused()
    with_errors = axe_violations(page)
    page.goto(f"{hosts['portal']}/sso/sign-in/kelvin/?login_hint=ada@kelvin.ac.uk")
    handover = axe_violations(page)

    assert with_errors == [], describe(with_errors)
    assert handover == [], describe(handover)
    assert problems == []


def test_the_staff_pages_pass_axe_with_and_without_errors(page, live_server, staff, kelvin_saml):
    page.context.live_server_url = live_server.url
    page.context.add_init_script(path=str(AXE_SOURCE))
    _sign_in(page, staff)
    problems = _collect_problems(page)

    page.goto(f"{live_server.url}/sso/providers/")
    listing = axe_violations(page)
    page.goto(f"{live_server.url}/sso/providers/new/")
    page.get_by_label("OpenID Connect").check()
    page.get_by_label("Issuer URL").fill("not a url")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter a full URL")
    expect(page.get_by_role("alert")).to_be_focused()
    with_errors = axe_violations(page)

    assert listing == [], describe(listing)
    assert with_errors == [], describe(with_errors)
    assert problems == []
