"""The token page in a real browser: create a token, copy it once, revoke it."""

import pytest

from apps.accounts.models import ApiToken


@pytest.mark.browser
def test_a_person_creates_and_revokes_a_token_in_the_browser(
    page, transactional_db, partner_member, password, tmp_path
):
    page.goto("/accounts/login/")
    page.get_by_label("Email", exact=True).fill(partner_member.email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")
    page.goto("/account/tokens/")
    page.get_by_label("Name", exact=True).fill("LIMS nightly sync")
    page.get_by_label("Write").check()
    page.get_by_role("button", name="Create token").click()
    shown = page.locator("#new-token").input_value()
    page.screenshot(path=str(tmp_path / "token-created.png"), full_page=True)
    assert shown.startswith("strat_")
    token = ApiToken.objects.get(user=partner_member)
    assert sorted(token.scopes) == ["read", "write"]
    page.goto("/account/tokens/")
    assert page.locator("#new-token").count() == 0
    page.get_by_role("link", name="Revoke LIMS nightly sync").click()
    page.get_by_role("button", name="Revoke token").click()
    assert "is revoked" in page.content()
    token.refresh_from_db()
    assert token.revoked_at is not None
